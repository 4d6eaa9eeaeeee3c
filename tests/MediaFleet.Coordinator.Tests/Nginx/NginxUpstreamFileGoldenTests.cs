using System.Text;
using MediaFleet.Coordinator.Nginx;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Tests.Nginx;

/// <summary>
/// Each folder under Golden/ holds input.conf, states ("address state" lines, '#' comments) and
/// expected.conf; the files are compared byte for byte.
/// </summary>
public sealed class NginxUpstreamFileGoldenTests
{
    private static readonly string GoldenFolder = Path.Combine(AppContext.BaseDirectory, "Golden");

    public static TheoryData<string> Cases() => new(CaseNames());

    private static IEnumerable<string> CaseNames() =>
        Directory.GetDirectories(GoldenFolder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    [Fact]
    public void GoldenFolder_HoldsTheExpectedCases()
    {
        Assert.Equal(["crlf-no-final-newline", "design-example", "real-nginx", "unchanged"], CaseNames());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rewrite_MatchesExpectedFile(string name)
    {
        var input = Read(name, "input.conf");
        var states = ReadStates(name);

        var actual = NginxUpstreamFile.Rewrite(input, states);

        Assert.Equal(Read(name, "expected.conf"), actual);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rewrite_OfExpectedFile_ChangesNothing(string name)
    {
        var expected = Read(name, "expected.conf");

        Assert.Equal(expected, NginxUpstreamFile.Rewrite(expected, ReadStates(name)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rewrite_KeepsLineCountAndEndings(string name)
    {
        var input = Read(name, "input.conf");

        var actual = NginxUpstreamFile.Rewrite(input, ReadStates(name));

        Assert.Equal(input.Count(c => c == '\n'), actual.Count(c => c == '\n'));
        Assert.Equal(input.Split("\r\n").Length, actual.Split("\r\n").Length);
        Assert.Equal(input.EndsWith('\n'), actual.EndsWith('\n'));
    }

    [Fact]
    public void Parse_RealNginxConf_GivesEachServerItsThresholdsAndMethod()
    {
        var lines = NginxUpstreamFile.Parse(Read("real-nginx", "input.conf"));

        Assert.Equal(
            [
                ("10.0.0.1:8470", 0.5, 1.5, "least_conn"),
                ("10.0.0.2:8470", 0.5, 1.5, "least_conn"),
                ("10.0.0.3:8470", 0.5, 1.5, "least_conn"),
                ("10.0.0.4:8470", 0.9, 1.2, "least_conn"),
                ("10.0.0.5:8470", 0.9, 1.2, "least_conn"),
                ("10.0.1.1:8470", 0.9, 1.2, "ip_hash"),
                ("10.0.1.2:8470", 0.9, 1.2, "ip_hash"),
                ("10.0.1.3:8470", 0.9, 1.2, "ip_hash"),
                ("10.0.2.1:8470", 0.9, 1.2, "hash"),
                ("10.0.2.2:8470", 0.9, 1.2, "hash"),
            ],
            lines.Select(l => (l.Address, l.Thresholds.Backup, l.Thresholds.Down, l.BalancingMethod)));
    }

    private static string Read(string name, string file) =>
        Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(GoldenFolder, name, file)));

    private static Dictionary<string, ServerState> ReadStates(string name)
    {
        var states = new Dictionary<string, ServerState>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Path.Combine(GoldenFolder, name, "states")))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            states[parts[0]] = Enum.Parse<ServerState>(parts[1], ignoreCase: true);
        }
        return states;
    }
}
