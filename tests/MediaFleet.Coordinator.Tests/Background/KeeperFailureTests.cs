using System.Runtime.Versioning;
using MediaFleet.Coordinator.Tests.Nginx;
using MediaFleet.Testing;

namespace MediaFleet.Coordinator.Tests.Background;

/// <summary>
/// The nginx file keeper never dies quietly: an unexpected failure is reported, logged once, and tried again after a
/// back-off; a test command that keeps failing keeps the keeper alive and is logged once, not once per try.
/// </summary>
[SupportedOSPlatform("linux")] // the commands are sh
public sealed class KeeperFailureTests
{
    private const string Before = "server 127.0.0.1:1;\nserver 127.0.0.1:2;\n";
    private const string Settled = "server 127.0.0.1:1 down;\nserver 127.0.0.1:2;\n";
    private const string Drained = "server 127.0.0.1:1 down;\nserver 127.0.0.1:2 backup;\n";

    [Fact]
    public async Task Keeper_CannotWriteBesideTheFile_ReportsItOnceAndInstallsOnceItCan()
    {
        var logs = new CapturedLogs();
        await using var kept = await KeptNginxFile.StartAsync(Before, logs: logs);
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 2));
        await kept.FileIsAsync(Settled);
        await kept.ReloadsAreAsync(1); // the install is over, its copy of the previous file removed
        // A folder where the keeper writes its copy of the previous file: every install fails with an I/O error.
        var blocker = kept.Path + ".mfleet-old";
        Directory.CreateDirectory(Path.Combine(blocker, "in-the-way"));

        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 2) with { ForceBackup = true });
        await Eventually.TrueAsync(async () => (await kept.NginxAsync()).LastError?.Contains(".mfleet-old", StringComparison.Ordinal) == true,
            "the failure to be reported");
        var failedOnce = (await kept.NginxAsync()).LastErrorAt;
        await Eventually.TrueAsync(async () => (await kept.NginxAsync()).LastErrorAt > failedOnce, "a second try after a back-off");
        Directory.Delete(blocker, recursive: true);

        await kept.FileIsAsync(Drained);
        await kept.ReloadsAreAsync(2);
        Assert.Null((await kept.NginxAsync()).LastError);
        // The loop says it recovered once the pass returns, just after the reload the test saw.
        await Eventually.TrueAsync(() => logs.WithId(5001).Any(), "the recovery to be logged");
        Assert.Single(logs.WithId(5000));
        Assert.Single(logs.WithId(5001));
    }

    [Fact]
    public async Task Keeper_TestCommandFailsAgainAndAgain_StaysAliveAndLogsTheFailureOnce()
    {
        var logs = new CapturedLogs();
        await using var kept = await KeptNginxFile.StartAsync(Before, test: KeptNginxFile.CountingTest, logs: logs);
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 2));
        await Eventually.TrueAsync(() => kept.TestRuns >= 1, "a first failed test");

        // Every change is a new candidate and a new failed test of the same kind.
        for (var i = 0; i < 3; i++)
        {
            var runs = kept.TestRuns;
            await kept.Pump.SetAsync(HeartbeatPump.Node("b", 2) with { ForceBackup = i % 2 == 0 });
            await Eventually.TrueAsync(() => kept.TestRuns > runs, "another failed test");
        }
        File.Create(kept.OkFile).Dispose();
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 2));

        await kept.FileIsAsync(Settled);
        await kept.ReloadsAreAsync(1);
        Assert.Null((await kept.NginxAsync()).LastError);
        Assert.Single(logs.WithId(3022));
        Assert.Single(logs.WithId(3026)); // and passing again is said once
    }
}
