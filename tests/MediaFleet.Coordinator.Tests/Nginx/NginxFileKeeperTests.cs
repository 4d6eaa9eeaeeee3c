using System.Runtime.Versioning;
using MediaFleet.Testing;

namespace MediaFleet.Coordinator.Tests.Nginx;

/// <summary>
/// The nginx file kept by a real coordinator (DESIGN.md section 6), with real commands: grace, debounce, write only on
/// change, bytes kept, a failed test keeping the old file, and a cut-off test undone at start-up.
/// </summary>
[SupportedOSPlatform("linux")] // the commands are sh, and file modes are Unix ones
public sealed class NginxFileKeeperTests
{
    [Fact]
    public async Task Keeper_DuringTheGrace_WritesNothingEvenForASilentServer()
    {
        const string before = "upstream media {\n    server 127.0.0.1:1;\n    server 127.0.0.1:2 down;\n}\n";
        const string after = "upstream media {\n    server 127.0.0.1:1 down;\n    server 127.0.0.1:2;\n}\n";
        await using var kept = await KeptNginxFile.StartAsync(before, downAfter: 3);
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 2));

        // Proving that nothing happens needs a wait: half the grace, then check that the grace was still on.
        await Task.Delay(kept.DownAfter / 2);
        var duringGrace = (kept.Text, kept.Reloads, kept.TestRuns, (await kept.NginxAsync()).Writes);
        var state = await kept.Coordinator.Client.GetStateAsync(CancellationToken.None);

        Assert.False(state.GraceOver);
        Assert.Equal((before, 0, 0, 0L), duringGrace);
        await kept.FileIsAsync(after);
        await kept.ReloadsAreAsync(1);
        var nginx = await kept.NginxAsync();
        Assert.Equal(1, nginx.Writes);
        Assert.True(nginx.WrittenAt >= state.StartedAt + kept.DownAfter, $"written at {nginx.WrittenAt:O}, started at {state.StartedAt:O}");
    }

    [Fact]
    public async Task Keeper_BurstOfChangesWithinTheDebounce_IsOneWriteAndOneReload()
    {
        // 127.0.0.1:14 is reported by no node: the first write after the grace takes it down, and from then on the
        // keeper is waiting for changes.
        const string before = "server 127.0.0.1:11;\nserver 127.0.0.1:12;\nserver 127.0.0.1:13;\nserver 127.0.0.1:14;\n";
        const string settled = "server 127.0.0.1:11;\nserver 127.0.0.1:12;\nserver 127.0.0.1:13;\nserver 127.0.0.1:14 down;\n";
        const string after = "server 127.0.0.1:11 down;\nserver 127.0.0.1:12 backup;\nserver 127.0.0.1:13 down;\nserver 127.0.0.1:14 down;\n";
        await using var kept = await KeptNginxFile.StartAsync(before, debounce: 1);
        await kept.Pump.SetAsync(HeartbeatPump.Node("a", 11));
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 12));
        await kept.Pump.SetAsync(HeartbeatPump.Node("c", 13));
        await kept.FileIsAsync(settled);
        await kept.ReloadsAreAsync(1);

        await kept.Pump.SetAsync(HeartbeatPump.Node("a", 11) with { ForceDown = true });
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 12) with { ForceBackup = true });
        await kept.Pump.SetAsync(HeartbeatPump.Node("c", 13, load: 2));

        await kept.FileIsAsync(after);
        await kept.ReloadsAreAsync(2);
        // A third write would come one debounce after the second: wait three debounces, then count again.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(after, kept.Text);
        Assert.Equal((2, 2), (kept.Reloads, kept.TestRuns));
        Assert.Equal(2, (await kept.NginxAsync()).Writes);
    }

    [Fact]
    public async Task Keeper_NothingChanges_NoWriteAndNoReload()
    {
        await using var kept = await KeptNginxFile.StartAsync("server 127.0.0.1:1;\nserver 127.0.0.1:2;\n");
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 2));
        await kept.FileIsAsync("server 127.0.0.1:1 down;\nserver 127.0.0.1:2;\n");
        await kept.ReloadsAreAsync(1);
        var bytes = File.ReadAllBytes(kept.Path);
        var written = File.GetLastWriteTimeUtc(kept.Path);

        // Heartbeats keep coming with other loads, all below the backup threshold: no state changes. Nothing
        // happening can only be shown by waiting; two DownAfter periods cover every timer that could act.
        for (var i = 0; i < 20; i++)
        {
            await kept.Pump.SetAsync(HeartbeatPump.Node("b", 2, load: i % 7 / 10.0));
            await Task.Delay(kept.DownAfter * 2 / 20);
        }

        Assert.Equal(bytes, File.ReadAllBytes(kept.Path));
        Assert.Equal(written, File.GetLastWriteTimeUtc(kept.Path));
        Assert.Equal((1, 1), (kept.Reloads, kept.TestRuns));
        Assert.Equal(1, (await kept.NginxAsync()).Writes);
    }

    [Fact]
    public async Task Keeper_Rewrite_KeepsEveryOtherByteAndTheFileMode()
    {
        // CRLF endings, tabs and blanks, parameters, comments, UTF-8 and a byte that is not UTF-8, no final newline.
        const string before =
            "# MediaFleet servers, caf\u00c3\u00a9 \u00ff\r\n" +
            "upstream media {\r\n" +
            "\tzone media 64k;\r\n" +
            "    # down_threshold=0.8 backup_threshold=0.4\r\n" +
            "\tserver 127.0.0.1:21 weight=5 max_fails=3 fail_timeout=10s down;\r\n" +
            "\t  server 127.0.0.1:22    weight=1 backup ;\r\n" +
            "    server 127.0.0.1:23 max_fails=0;\r\n" +
            "}\r\n" +
            "# end";
        var after = before
            .Replace("fail_timeout=10s down;", "fail_timeout=10s;", StringComparison.Ordinal)
            .Replace("max_fails=0;", "max_fails=0 down;", StringComparison.Ordinal);
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        await using var kept = await KeptNginxFile.StartAsync(before, before: (_, file) => File.SetUnixFileMode(file, mode));
        await kept.Pump.SetAsync(HeartbeatPump.Node("a", 21));
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 22, load: 0.5)); // above this file's backup threshold 0.4

        await kept.FileIsAsync(after);
        await kept.ReloadsAreAsync(1);

        Assert.Equal(KeptNginxFile.Bytes.GetBytes(after), File.ReadAllBytes(kept.Path));
        Assert.Equal(mode, File.GetUnixFileMode(kept.Path));
        Assert.Equal(["nginx.conf", "ok", "reloads", "tests"], kept.Folder.Files());
    }

    [Fact]
    public async Task Keeper_TestCommandFails_KeepsTheOldFileReportsTheErrorAndDoesNotReload()
    {
        const string before = "upstream media {\n    server 127.0.0.1:31 down;\n}\n";
        await using var kept = await KeptNginxFile.StartAsync(before, test: _ => "false");
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 31));

        await Eventually.TrueAsync(async () => (await kept.NginxAsync()).LastError is not null, "the failed test to be reported");

        var nginx = await kept.NginxAsync();
        Assert.StartsWith("'false' exited with 1", nginx.LastError, StringComparison.Ordinal);
        Assert.NotNull(nginx.LastErrorAt);
        Assert.Equal((0L, 0L, (DateTimeOffset?)null), (nginx.Writes, nginx.Reloads, nginx.WrittenAt));
        Assert.Equal(KeptNginxFile.Bytes.GetBytes(before), File.ReadAllBytes(kept.Path));
        Assert.Equal(0, kept.Reloads);
        Assert.Equal(["nginx.conf"], kept.Folder.Files()); // no candidate or previous file left beside it
    }

    [Fact]
    public async Task Keeper_TestPassesAgain_NextChangeIsInstalledAndTheErrorCleared()
    {
        const string before = "server 127.0.0.1:31 down;\nserver 127.0.0.1:32 down;\n";
        await using var kept = await KeptNginxFile.StartAsync(before, test: KeptNginxFile.CountingTest);
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 31));
        await kept.Pump.SetAsync(HeartbeatPump.Node("c", 32));
        await Eventually.TrueAsync(async () => (await kept.NginxAsync()).LastError is not null, "the failed test to be reported");
        Assert.Equal((before, 1, 0), (kept.Text, kept.TestRuns, kept.Reloads));

        File.Create(kept.OkFile).Dispose();
        await kept.Pump.SetAsync(HeartbeatPump.Node("c", 32) with { ForceBackup = true });

        await kept.FileIsAsync("server 127.0.0.1:31;\nserver 127.0.0.1:32 backup;\n");
        await kept.ReloadsAreAsync(1);
        var nginx = await kept.NginxAsync();
        Assert.Equal((1L, 1L, (string?)null, (DateTimeOffset?)null), (nginx.Writes, nginx.Reloads, nginx.LastError, nginx.LastErrorAt));
        Assert.Equal(2, kept.TestRuns);
    }

    [Fact]
    public async Task Start_LeftoverPreviousFile_IsPutBackBeforeAnythingElse()
    {
        // A coordinator stopped while a candidate was under test: the candidate is in place, the good file beside it.
        const string good = "server 127.0.0.1:41;\n# the file before the candidate\n";
        const string candidate = "server 127.0.0.1:41 down;\n# the candidate\n";
        void Interrupted(TempFolder folder, string file)
        {
            File.WriteAllText(file + ".mfleet-old", good);
            File.WriteAllText(file + ".mfleet-new", "half a candidate");
        }

        // A long grace: the keeper itself must not write anything while the test looks.
        await using var kept = await KeptNginxFile.StartAsync(candidate, downAfter: 60, before: Interrupted);

        Assert.Equal(good, kept.Text);
        Assert.Equal(["nginx.conf", "ok"], kept.Folder.Files());
    }
}
