using MediaFleet.Coordinator.Nginx;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Tests.Nginx;

public sealed class NginxUpstreamFileTests
{
    private static readonly Dictionary<string, ServerState> NoStates = [];

    // Each row: the threshold line above "server a;", then the backup and down thresholds in force for it.
    [Theory]
    [InlineData("# nothing", 0.7, 1.5)]
    [InlineData("#backup_threshold=0.4", 0.4, 1.5)]
    [InlineData("#down_threshold=0.8", 0.7, 0.8)]
    [InlineData("# down_threshold=0.8 backup_threshold=0.4", 0.4, 0.8)]
    [InlineData("# backup_threshold=0.4 down_threshold=0.8", 0.4, 0.8)]
    [InlineData("\t  #backup_threshold=1 down_threshold=2.25", 1.0, 2.25)]
    [InlineData("#backup_threshold=.5", 0.5, 1.5)]
    [InlineData("#backup_threshold=0.4 note: tuned for the NAS", 0.4, 1.5)]
    [InlineData("#backup_threshold=abc down_threshold=0.9", 0.7, 0.9)]
    [InlineData("#backup_threshold=-1", 0.7, 1.5)]
    [InlineData("# tuned: backup_threshold=0.4", 0.7, 1.5)]
    [InlineData("backup_threshold=0.4", 0.7, 1.5)]
    public void Parse_ThresholdLine_SetsThresholdsBelowIt(string thresholdLine, double backup, double down)
    {
        var lines = NginxUpstreamFile.Parse($"{thresholdLine}\nserver a;\n");

        var line = Assert.Single(lines);
        Assert.Equal(new Thresholds(backup, down), line.Thresholds);
    }

    [Fact]
    public void Parse_ThresholdLines_ApplyUntilChangedAndKeepTheOtherValue()
    {
        const string text = """
            server a;
            # down_threshold=0.8 backup_threshold=0.4
            server b;
            # backup_threshold=0.6
            server c;
            server d;
            # down_threshold=2
            server e;
            """;

        var thresholds = NginxUpstreamFile.Parse(text).Select(l => (l.Address, l.Thresholds.Backup, l.Thresholds.Down));

        Assert.Equal(
            [("a", 0.7, 1.5), ("b", 0.4, 0.8), ("c", 0.6, 0.8), ("d", 0.6, 0.8), ("e", 0.6, 2.0)],
            thresholds);
    }

    [Fact]
    public void Parse_ServerLines_GiveAddressLineNumberAndBalancingMethod()
    {
        const string text = """
            upstream rr {
                server 10.0.0.1:8470 weight=5;
            }
            upstream sticky {
                server 10.0.0.2:8470;
                ip_hash;
            }
            upstream few {
                random two least_conn;
                server 10.0.0.3:8470 max_fails=3;
            }
            server {
                server_name x;
            }
            server unix:/run/media.sock backup;
            """;

        var lines = NginxUpstreamFile.Parse(text);

        Assert.Equal(
            [
                new ServerLine(2, "10.0.0.1:8470", Thresholds.Default, null),
                new ServerLine(5, "10.0.0.2:8470", Thresholds.Default, "ip_hash"),
                new ServerLine(10, "10.0.0.3:8470", Thresholds.Default, "random"),
                new ServerLine(15, "unix:/run/media.sock", Thresholds.Default, null),
            ],
            lines);
        Assert.Equal([true, false, false, true], lines.Select(l => l.BackupAllowed));
    }

    [Theory]
    [InlineData("server a;", "Up", "server a;")]
    [InlineData("server a;", "Backup", "server a backup;")]
    [InlineData("server a;", "Down", "server a down;")]
    [InlineData("server a down backup;", "Up", "server a;")]
    [InlineData("server a down;", "Backup", "server a backup;")]
    [InlineData("server a backup weight=2;", "Down", "server a weight=2 down;")]
    [InlineData("    server a weight=5   max_fails=3;", "Backup", "    server a weight=5   max_fails=3 backup;")]
    [InlineData("\tserver a\tweight=5 ;", "Down", "\tserver a\tweight=5 down ;")]
    [InlineData("server a; # down", "Up", "server a; # down")]
    [InlineData("server a; # note;", "Down", "server a down; # note;")]
    [InlineData("server a", "Down", "server a")]
    [InlineData("server_name a;", "Down", "server_name a;")]
    [InlineData("# server a;", "Down", "# server a;")]
    public void Rewrite_ServerLine_ChangesOnlyBackupAndDown(string line, string state, string expected)
    {
        var states = new Dictionary<string, ServerState> { ["a"] = Enum.Parse<ServerState>(state) };

        Assert.Equal(expected, NginxUpstreamFile.Rewrite(line, states));
    }

    [Fact]
    public void Rewrite_AddressWithNoState_IsDown()
    {
        Assert.Equal("server b weight=1 down;\n", NginxUpstreamFile.Rewrite("server b weight=1;\n", NoStates));
    }

    [Theory]
    [InlineData("hash $request_uri consistent;", "down")]
    [InlineData("ip_hash;", "down")]
    [InlineData("random;", "down")]
    [InlineData("least_conn;", "backup")]
    [InlineData("keepalive 8;", "backup")]
    public void Rewrite_BackupInBlockThatForbidsIt_IsDown(string directive, string flag)
    {
        var text = $"upstream m {{\n    server a;\n    {directive}\n}}\nserver a;\n";
        var states = new Dictionary<string, ServerState> { ["a"] = ServerState.Backup };

        var actual = NginxUpstreamFile.Rewrite(text, states);

        Assert.Equal($"upstream m {{\n    server a {flag};\n    {directive}\n}}\nserver a backup;\n", actual);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("\r\n\r\n")]
    [InlineData("# only a comment")]
    [InlineData("x\r\ny\nz\r\n")]
    public void Rewrite_WithoutServerLines_KeepsEveryByte(string text)
    {
        Assert.Equal(text, NginxUpstreamFile.Rewrite(text, NoStates));
    }
}
