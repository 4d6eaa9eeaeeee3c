using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

/// <summary>
/// A role under systemd, played for real: the test owns the datagram socket of <c>NOTIFY_SOCKET</c> (as systemd does
/// for Type=notify), sends SIGTERM as <c>systemctl stop</c> does, and hands the role a socket as standard output with
/// <c>JOURNAL_STREAM</c> naming it, as systemd does when output goes to the journal.
/// </summary>
public sealed partial class ServiceManagerTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Node_SendsReadyOnlyOnceHealthzAnswers_StoppingOnSigterm_AndExitsZero()
    {
        using var folder = new TempFolder("mfleet-notify-");
        using var manager = new NotifyListener(folder.Combine("notify"));
        // A port known before the start: the probe must not wait for the node's "serving on" line.
        var url = $"http://127.0.0.1:{NodeProcess.FreePort()}";
        var ready = ReadyAsync(manager, url);

        await using var node = await NodeProcess.StartAsync(folder.Combine("library"), listen: url,
            environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = manager.Path });
        var (first, health) = await ready;
        var exitCode = await node.TerminateAsync(TimeSpan.FromSeconds(30));
        var last = await manager.NextAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("READY=1", first);
        Assert.Equal(HttpStatusCode.OK, health);
        Assert.Contains($"STATUS=serving on {url}", first);
        Assert.Equal(["STOPPING=1"], last);
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task Node_WithWatchdogUsec_SendsWatchdogEveryHalfOfIt()
    {
        using var folder = new TempFolder("mfleet-notify-");
        using var manager = new NotifyListener(folder.Combine("notify"));

        await using var node = await NodeProcess.StartAsync(folder.Combine("library"),
            environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = manager.Path, ["WATCHDOG_USEC"] = "1000000" });
        while (!(await manager.NextAsync(Start)).Contains("READY=1"))
        {
            // The watchdog starts with the host; READY=1 comes once it serves.
        }
        var clock = Stopwatch.StartNew();
        var after = new List<string>();
        try
        {
            while (after.Count(m => m == "WATCHDOG=1") < 2)
            {
                after.AddRange(await manager.NextAsync(TimeSpan.FromSeconds(3) - clock.Elapsed));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"within 3 s of READY=1 only: [{string.Join(", ", after)}]");
        }
        var within = clock.Elapsed;
        var exitCode = await node.TerminateAsync(TimeSpan.FromSeconds(30));

        Assert.True(within < TimeSpan.FromSeconds(3), $"two WATCHDOG=1 took {within}");
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task Node_WritingToTheJournal_LogsPlainLinesWithAPriorityAndNoTimestamp()
    {
        using var folder = new TempFolder("mfleet-journal-");
        using var journal = new TcpListener(IPAddress.Loopback, 0);
        journal.Start();
        using var cancel = new CancellationTokenSource(Start);
        // bash makes a socket its standard output and names it in JOURNAL_STREAM (DEVICE:INODE), then becomes the node,
        // as systemd does with StandardOutput=journal. journald's socket is a Unix one; the role only compares inodes.
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-c", "exec 1<>/dev/tcp/127.0.0.1/$JOURNAL_PORT 2>&1 && export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1) && exec dotnet \"$@\"",
            "mfleet", Path.Combine(AppContext.BaseDirectory, "mfleet.dll"), "node", "--data", folder.Combine("library"), "--primary", "--listen", "http://127.0.0.1:0"])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["JOURNAL_PORT"] = ((IPEndPoint)journal.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["MFLEET_TOKEN"] = TestNode.Token;
        start.Environment["MFLEET_Node__ReserveBytes"] = "0";
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        int exitCode;
        try
        {
            using var connection = await journal.AcceptTcpClientAsync(cancel.Token);
            using var reader = new StreamReader(connection.GetStream(), Encoding.UTF8);
            while (await reader.ReadLineAsync(cancel.Token) is { } line)
            {
                lines.Add(line);
                if (line.Contains(" serving ", StringComparison.Ordinal))
                {
                    Assert.Equal(0, Kill(process.Id, SigTerm));
                }
            }
            await process.WaitForExitAsync(cancel.Token);
            exitCode = process.ExitCode;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Contains(lines, l => JournalServingLine().IsMatch(l));
        // One entry per line, each with its syslog priority (journald takes it as PRIORITY=), no time, no colours.
        Assert.All(lines, l => Assert.Matches(@"^<[0-7]>\S", l));
        Assert.DoesNotContain(lines, l => l.Contains('\u001b', StringComparison.Ordinal) || TimeOfDay().IsMatch(l));
        Assert.Contains(lines, l => l.StartsWith("<6>Microsoft.Hosting.Lifetime[0] Application is shutting down", StringComparison.Ordinal));
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task Node_WithAnInheritedJournalStream_KeepsTheTerminalFormat()
    {
        // A process started by a service inherits JOURNAL_STREAM even when its output goes elsewhere (here: a pipe).
        using var folder = new TempFolder("mfleet-journal-");

        await using var node = await NodeProcess.StartAsync(folder.Combine("library"),
            environment: new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:12345" });
        var exitCode = await node.TerminateAsync(TimeSpan.FromSeconds(30));

        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d\.\d{3} info: MediaFleet\.Node\[2000\] mfleet node \S+ \(primary\) serving ", node.Output);
        Assert.DoesNotContain("<6>", node.Output, StringComparison.Ordinal);
        Assert.Equal(0, exitCode);
    }

    /// <summary>
    /// Waits for the first message and, the moment it arrives, connects to the node's port (a few microseconds on
    /// loopback, where an HTTP client's first request takes milliseconds) and then asks <c>/healthz</c> on that connection.
    /// </summary>
    private static async Task<(IReadOnlyList<string> First, HttpStatusCode? Health)> ReadyAsync(NotifyListener manager, string url)
    {
        var port = new Uri(url).Port;
        // Warm the probe's code paths up: the refused connection now costs no JIT time when it counts.
        await ConnectAsync(port);
        var first = await manager.NextAsync(Start);
        var connection = await ConnectAsync(port);
        if (connection is null)
        {
            return (first, null); // nothing listened yet: READY=1 came too early
        }
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(new NetworkStream(connection, ownsSocket: true)) });
        using var answer = await http.GetAsync(new Uri(url + "/healthz"));
        return (first, answer.StatusCode);
    }

    private static async Task<Socket?> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"^<6>MediaFleet\.Node\[2000\] mfleet node \S+ \(primary\) serving .* on http://127\.0\.0\.1:\d+$")]
    private static partial Regex JournalServingLine();

    [GeneratedRegex(@"\b\d\d:\d\d:\d\d\.\d{3}\b")]
    private static partial Regex TimeOfDay();

    /// <summary>systemd's end of <c>NOTIFY_SOCKET</c>: a Unix datagram socket bound in the test's folder.</summary>
    private sealed class NotifyListener : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

        public NotifyListener(string path)
        {
            Path = path;
            _socket.Bind(new UnixDomainSocketEndPoint(path));
        }

        public string Path { get; }

        /// <summary>The next datagram as its lines (<c>KEY=value</c> each, sd_notify(3)).</summary>
        public async Task<IReadOnlyList<string>> NextAsync(TimeSpan timeout)
        {
            var buffer = new byte[4096];
            using var cancel = new CancellationTokenSource(timeout > TimeSpan.Zero ? timeout : TimeSpan.FromMilliseconds(1));
            var length = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            return Encoding.UTF8.GetString(buffer, 0, length).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        public void Dispose() => _socket.Dispose();
    }
}
