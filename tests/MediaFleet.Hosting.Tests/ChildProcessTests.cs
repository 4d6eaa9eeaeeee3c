using System.Collections.Concurrent;
using System.Diagnostics;
using MediaFleet.Hosting.Processes;
using MediaFleet.Testing;

namespace MediaFleet.Hosting.Tests;

/// <summary>The owned child process: real children of sh, checked through /proc by pid.</summary>
public sealed class ChildProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static ChildProcessStart Shell(string script, Action<string>? onLine = null) =>
        new("sh", ["-c", script]) { OnOutputLine = onLine };

    [Fact]
    public async Task StopAsync_TermEndsTheShellAndBothItsChildren()
    {
        await using var child = ChildProcess.Start(Shell("sleep 60 & sleep 60"));
        var sleeps = await ProcFs.ChildrenAsync(child.Id, 2, Deadline);

        var exitCode = await child.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None);

        Assert.Equal(128 + 15, exitCode);
        Assert.False(child.Killed);
        await ProcFs.AllGoneAsync([child.Id, .. sleeps], Deadline);
    }

    [Fact]
    public async Task StopAsync_KillsTheTreeAfterTheGrace_WhenTermIsIgnored()
    {
        await using var child = ChildProcess.Start(Shell("trap '' TERM; sleep 60 & sleep 60"));
        var sleeps = await ProcFs.ChildrenAsync(child.Id, 2, Deadline);
        var clock = Stopwatch.StartNew();

        var exitCode = await child.StopAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(450), $"killed after {clock.Elapsed}, before the grace");
        Assert.Equal(128 + 9, exitCode);
        Assert.True(child.Killed);
        await ProcFs.AllGoneAsync([child.Id, .. sleeps], Deadline);
    }

    [Fact]
    public async Task StopAsync_LetsTheChildFinishItsOwnWay_BeforeAnyKill()
    {
        var lines = new ConcurrentQueue<string>();
        var ready = new TaskCompletionSource();
        await using var child = ChildProcess.Start(Shell("trap 'echo bye; exit 7' TERM; echo ready; while :; do sleep 0.1; done", line =>
        {
            lines.Enqueue(line);
            if (line == "ready")
            {
                ready.TrySetResult();
            }
        }));
        await ready.Task.WaitAsync(Deadline);

        var exitCode = await child.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal(7, exitCode);
        Assert.False(child.Killed);
        Assert.Equal(["ready", "bye"], lines);
    }

    [Fact]
    public async Task DisposeAsync_EndsTheTree_AndMayBeCalledTwice()
    {
        var child = ChildProcess.Start(Shell("sleep 60 & sleep 60"));
        var sleeps = await ProcFs.ChildrenAsync(child.Id, 2, Deadline);

        await child.DisposeAsync();
        await child.DisposeAsync();

        Assert.True(child.Killed);
        Assert.Equal(128 + 9, child.ExitCode);
        await ProcFs.AllGoneAsync([child.Id, .. sleeps], Deadline);
    }

    [Fact]
    public async Task DisposeAsync_AlsoEndsAChildThatLeftTheGroup()
    {
        var child = ChildProcess.Start(Shell("setsid sleep 60 & sleep 60"));
        var sleeps = await ProcFs.ChildrenAsync(child.Id, 2, Deadline);
        // setsid(1) forks before it calls setsid(2): the child can be seen a moment before it leads its own group.
        await ProcFs.UntilAsync(() => sleeps.Any(pid => ProcFs.ProcessGroup(pid) == pid), "a child leading its own process group", Deadline);

        await child.DisposeAsync();

        await ProcFs.AllGoneAsync([child.Id, .. sleeps], Deadline);
    }

    [Fact]
    public async Task WaitForExitAsync_Cancelled_EndsTheTreeAndThrows()
    {
        await using var child = ChildProcess.Start(Shell("sleep 60 & sleep 60"));
        var sleeps = await ProcFs.ChildrenAsync(child.Id, 2, Deadline);
        using var cancel = new CancellationTokenSource();
        var wait = child.WaitForExitAsync(cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.True(child.HasExited);
        await ProcFs.AllGoneAsync([child.Id, .. sleeps], Deadline);
    }

    [Fact]
    public async Task RunAsync_Cancelled_EndsTheTree()
    {
        var started = new TaskCompletionSource<int>();
        using var cancel = new CancellationTokenSource();
        var run = ChildProcess.RunAsync(Shell("echo $$; sleep 60", line => started.TrySetResult(int.Parse(line, System.Globalization.CultureInfo.InvariantCulture))), cancel.Token);
        var shell = await started.Task.WaitAsync(Deadline);
        var sleep = await ProcFs.ChildrenAsync(shell, 1, Deadline);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await ProcFs.AllGoneAsync([shell, .. sleep], Deadline);
    }

    [Fact]
    public async Task ExitOnItsOwn_EndsWhatItLeftInItsGroup_AndDoesNotWaitForIt()
    {
        var lines = new ConcurrentQueue<string>();
        await using var child = ChildProcess.Start(Shell("sleep 60 & echo $!", lines.Enqueue));

        var exitCode = await child.WaitForExitAsync(CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal(0, exitCode);
        Assert.False(child.Killed);
        await ProcFs.AllGoneAsync([int.Parse(Assert.Single(lines), System.Globalization.CultureInfo.InvariantCulture)], Deadline);
    }

    [Fact]
    public async Task RunAsync_ReportsExitCode_OutputLines_AndTheStderrTail()
    {
        var lines = new ConcurrentQueue<string>();
        var start = Shell("echo one; echo two; for i in 1 2 3 4 5; do echo err$i >&2; done; exit 3", lines.Enqueue) with { ErrorTailLines = 3 };

        var result = await ChildProcess.RunAsync(start, CancellationToken.None);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal(["one", "two"], lines);
        Assert.Equal(["err3", "err4", "err5"], result.ErrorTail);
    }

    [Fact]
    public async Task Start_UsesTheWorkingDirectoryAndEnvironment_AndPassesWordsUntouched()
    {
        using var folder = new TempFolder();
        var lines = new ConcurrentQueue<string>();
        var start = new ChildProcessStart("sh", ["-c", "pwd; echo \"$MF_TEST_WORD\"; echo \"${HOME-unset}\"; printf '%s\\n' \"$@\"", "sh", "a b", "'c'", "$HOME", ""])
        {
            WorkingDirectory = folder.Path,
            Environment = new Dictionary<string, string?> { ["MF_TEST_WORD"] = "hello world", ["HOME"] = null },
            OnOutputLine = lines.Enqueue,
        };

        var result = await ChildProcess.RunAsync(start, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal([folder.Path, "hello world", "unset", "a b", "'c'", "$HOME", ""], lines);
    }

    [Fact]
    public async Task Id_IsTheProgramsOwnPid_LeadingAGroupOfItsOwn()
    {
        await using var child = ChildProcess.Start(new ChildProcessStart("sleep", ["60"]));

        // setsid becomes sleep in place: same pid, once it has exec'd.
        await ProcFs.UntilAsync(() => ProcFs.Command(child.Id) == "sleep", "sleep to replace setsid", Deadline);
        Assert.Equal(child.Id, ProcFs.ProcessGroup(child.Id));
        Assert.Null(child.ExitCode);
        Assert.False(child.HasExited);
    }

    [Fact]
    public async Task StopAsync_RightAfterStart_StillStopsTheChild()
    {
        await using var child = ChildProcess.Start(new ChildProcessStart("sleep", ["60"]));

        var exitCode = await child.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None);

        Assert.Equal(128 + 15, exitCode);
        Assert.False(child.Killed);
    }

    [Fact]
    public void Start_MissingProgram_SaysSo()
    {
        using var folder = new TempFolder();
        var text = folder.Combine("not-a-program");
        File.WriteAllText(text, "hello");
        var e = Assert.Throws<ChildProcessStartException>(() => ChildProcess.Start(new ChildProcessStart("mfleet-no-such-program", [])));
        Assert.Contains("'mfleet-no-such-program' could not be started: not found on PATH", e.Message, StringComparison.Ordinal);
        var f = Assert.Throws<ChildProcessStartException>(() => ChildProcess.Start(new ChildProcessStart(text, [])));
        Assert.Contains("not an executable file", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AThrowingOutputCallback_EndsTheTree_AndTheWaitRethrows()
    {
        await using var child = ChildProcess.Start(Shell("echo go; sleep 60", _ => throw new InvalidDataException("cannot follow")));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => child.WaitForExitAsync(CancellationToken.None).WaitAsync(Deadline));

        Assert.Equal("cannot follow", e.Message);
        Assert.True(child.Killed);
        Assert.False(ProcFs.IsAlive(child.Id));
    }
}
