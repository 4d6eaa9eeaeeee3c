using System.Threading.Channels;
using MediaFleet.Hosting.Systemd;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MediaFleet.Hosting.Tests;

/// <summary>
/// The pure rules of running under systemd: when and how often the watchdog is fed, and when standard output is the
/// journal. The real socket, process and signals are tested in MediaFleet.Cli.Tests (ServiceManagerTests).
/// </summary>
public sealed class SystemdRulesTests
{
    public static TheoryData<string?, string?, TimeSpan?> Watchdogs() => new()
    {
        // WATCHDOG_USEC, WATCHDOG_PID (this process is 42): half the timeout, as sd_watchdog_enabled(3) advises.
        { "1000000", null, TimeSpan.FromMilliseconds(500) },
        { "30000000", "", TimeSpan.FromSeconds(15) },
        { "30000000", "42", TimeSpan.FromSeconds(15) },
        { "3", null, TimeSpan.FromMilliseconds(1) },
        { "99999999999999", null, TimeSpan.FromHours(1) },
        // Meant for another process (an inherited environment), or no watchdog at all.
        { "30000000", "43", null },
        { "30000000", "x", null },
        { "30000000", "-42", null },
        { null, null, null },
        { "", "42", null },
        { "0", null, null },
        { "-1000000", null, null },
        { "1e6", null, null },
        { "infinity", null, null },
    };

    [Theory]
    [MemberData(nameof(Watchdogs))]
    public void WatchdogInterval_FromTheEnvironment(string? watchdogUsec, string? watchdogPid, TimeSpan? expected)
    {
        Assert.Equal(expected, SystemdWatchdog.IntervalFrom(watchdogUsec, watchdogPid, processId: 42));
    }

    public static TheoryData<string?, string?, bool> Streams() => new()
    {
        // JOURNAL_STREAM, the link /proc/self/fd/1.
        { "8:12345", "socket:[12345]", true },
        { "9:1", "socket:[1]", true },
        // Another socket, not a socket, nothing: the variable was inherited by a process that writes elsewhere.
        { "8:12345", "socket:[12346]", false },
        { "8:12345", "socket:[123456]", false },
        { "8:12345", "pipe:[12345]", false },
        { "8:12345", "/dev/pts/0", false },
        { "8:12345", "/var/log/mfleet.log", false },
        { "8:12345", null, false },
        { null, "socket:[12345]", false },
        { "", "socket:[12345]", false },
        { "12345", "socket:[12345]", false },
        { "8:", "socket:[]", false },
        { "x:12345", "socket:[12345]", false },
        { "8:12345:1", "socket:[12345]", false },
        { "8:12345", "socket:[12345", false },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void JournalStream_MatchesOnlyTheSocketOnStandardOutput(string? journalStream, string? standardOutput, bool expected)
    {
        Assert.Equal(expected, JournalStream.Matches(journalStream, standardOutput));
    }

    [Fact]
    public async Task Watchdog_SendsAtOnceThenEveryInterval_AndNothingAfterStop()
    {
        var time = new FakeTimeProvider();
        var notifier = new RecordingNotifier();
        var watchdog = new SystemdWatchdog(new NotifySocket(notifier, NullLogger<NotifySocket>.Instance), TimeSpan.FromMilliseconds(500), time);

        await watchdog.StartAsync(CancellationToken.None);
        var first = await notifier.NextAsync();
        time.Advance(TimeSpan.FromMilliseconds(499));
        var early = notifier.Sent.Reader.TryRead(out _);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var second = await notifier.NextAsync();
        time.Advance(TimeSpan.FromMilliseconds(500));
        var third = await notifier.NextAsync();
        await watchdog.StopAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(["WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"], [first, second, third]);
        Assert.False(early);
        Assert.True(watchdog.ExecuteTask!.IsCompletedSuccessfully);
        Assert.False(notifier.Sent.Reader.TryRead(out _));
    }

    [Fact]
    public void NotifySocket_WithoutAListener_DoesNotThrow()
    {
        // A service manager that went away must not stop a role: the send is logged and dropped.
        var socket = new NotifySocket(new FailingNotifier(), NullLogger<NotifySocket>.Instance);

        socket.Send("READY=1");
    }

    /// <summary>Records what would go to the socket; the socket itself is exercised by the process tests.</summary>
    private sealed class RecordingNotifier : ISystemdNotifier
    {
        public Channel<string> Sent { get; } = Channel.CreateUnbounded<string>();

        public bool IsEnabled => true;

        public void Notify(ServiceState state) => Sent.Writer.TryWrite(state.ToString());

        public async Task<string> NextAsync() => await Sent.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>What SystemdNotifier does when nothing listens at NOTIFY_SOCKET: Connect throws.</summary>
    private sealed class FailingNotifier : ISystemdNotifier
    {
        public bool IsEnabled => true;

        public void Notify(ServiceState state) => throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused);
    }
}
