using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MediaFleet.Testing;

/// <summary>
/// <c>mfleet node</c> (or <c>mfleet coordinator</c>) as a separate process (for kill -9 and memory tests), started from
/// the mfleet.dll beside the test assembly (or from a given program, such as the package's native mfleet) and ended by
/// its own handle, never by name.
/// </summary>
public sealed partial class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private NodeProcess(Process process) => _process = process;

    public string Url { get; private set; } = "";

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>What the process printed so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>
    /// Starts <c>mfleet node --data LIBRARY --listen http://127.0.0.1:0 ARGS…</c> and waits until it serves;
    /// <paramref name="environment"/> adds variables such as <c>MFLEET_Node__HeartbeatInterval</c>; <paramref name="program"/>
    /// runs that mfleet executable instead of <c>dotnet mfleet.dll</c>.
    /// </summary>
    public static Task<NodeProcess> StartAsync(string library, IEnumerable<string>? args = null, string token = TestNode.Token, string listen = "http://127.0.0.1:0",
        IReadOnlyDictionary<string, string>? environment = null, string? program = null) =>
        StartRoleAsync(["node", "--data", library, "--listen", listen, .. args ?? ["--primary"]], token, environment, program);

    /// <summary>Starts <c>mfleet coordinator --listen LISTEN ARGS…</c> and waits until it serves.</summary>
    public static Task<NodeProcess> StartCoordinatorAsync(string listen, IEnumerable<string> args, string token = TestNode.Token, IReadOnlyDictionary<string, string>? environment = null,
        string? program = null) =>
        StartRoleAsync(["coordinator", "--listen", listen, .. args], token, environment, program);

    /// <summary>Starts <c>mfleet broker --data DATA --listen LISTEN ARGS…</c> and waits until it serves.</summary>
    public static Task<NodeProcess> StartBrokerAsync(string data, IEnumerable<string>? args = null, string listen = "http://127.0.0.1:0", string token = TestNode.Token,
        IReadOnlyDictionary<string, string>? environment = null) =>
        StartRoleAsync(["broker", "--data", data, "--listen", listen, .. args ?? []], token, environment);

    /// <summary>Starts <c>mfleet worker --broker URL --scratch DIR --listen http://127.0.0.1:0 ARGS…</c> and waits until it serves.</summary>
    public static Task<NodeProcess> StartWorkerAsync(string broker, string scratch, IEnumerable<string>? args = null, string token = TestNode.Token,
        IReadOnlyDictionary<string, string>? environment = null) =>
        StartRoleAsync(["worker", "--broker", broker, "--scratch", scratch, "--listen", "http://127.0.0.1:0", .. args ?? []], token, environment);

    /// <summary>kill -9 of this process alone (its children live on, as after a real crash).</summary>
    public async Task KillAloneAsync()
    {
        _ = Kill(_process.Id, 9);
        await _process.WaitForExitAsync();
    }

    private static async Task<NodeProcess> StartRoleAsync(string[] args, string token, IReadOnlyDictionary<string, string>? environment, string? program = null)
    {
        var start = new ProcessStartInfo(program ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (program is null)
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mfleet.dll"));
        }
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["MFLEET_TOKEN"] = token;
        start.Environment["MFLEET_Node__ReserveBytes"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var node = new NodeProcess(Process.Start(start)!);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (node._output)
            {
                node._output.Add(line);
            }
            if (ListeningLine().Match(line) is { Success: true } match)
            {
                ready.TrySetResult(match.Groups[1].Value);
            }
        }
        node._process.OutputDataReceived += (_, e) => OnLine(e.Data);
        node._process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        var exited = node._process.WaitForExitAsync();
        var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != ready.Task)
        {
            var output = node.Output;
            await node.DisposeAsync();
            throw new InvalidOperationException($"mfleet {args[0]} did not start: {output}");
        }
        node.Url = await ready.Task;
        return node;
    }

    /// <summary>A loopback port free right now (for a node that must come back on the same address).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Resident memory of the process in bytes (VmRSS), read from /proc.</summary>
    public long ResidentBytes() => ReadStatus("VmRSS:");

    /// <summary>Peak resident memory in bytes (VmHWM), read from /proc.</summary>
    public long PeakResidentBytes() => ReadStatus("VmHWM:");

    private long ReadStatus(string key)
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>kill -9: no shutdown, no cleanup.</summary>
    public async Task KillAsync()
    {
        if (_disposed)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits for the graceful exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        _ = Kill(_process.Id, 15);
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"serving (?:.* )?on (http://[^\s]+)")]
    private static partial Regex ListeningLine();

    private bool _disposed;

    /// <summary>Kills the process if it still runs; safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        if (!_disposed)
        {
            _disposed = true;
            _process.Dispose();
        }
    }
}
