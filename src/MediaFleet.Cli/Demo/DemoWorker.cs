using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MediaFleet.Hosting.Processes;

namespace MediaFleet.Cli.Demo;

/// <summary>
/// One <c>mfleet worker</c> of the demo as a process of its own (this same mfleet, started again), so it can be killed
/// with kill -9 for real. Owns the process: stopped with SIGTERM, or killed, by its own handle.
/// </summary>
internal sealed partial class DemoWorker : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();

    private DemoWorker(string name, ChildProcessStart start, bool echo)
    {
        Name = name;
        void OnLine(string line)
        {
            lock (_gate)
            {
                _tail.Enqueue(line);
                while (_tail.Count > 20)
                {
                    _tail.Dequeue();
                }
                if (echo)
                {
                    // Beside the in-process nodes' log lines, which --verbose also shows on the console.
                    Console.Out.WriteLine($"[{name}] {line}");
                }
            }
            if (ServingLine().Match(line) is { Success: true } match)
            {
                _ready.TrySetResult(match.Groups[1].Value);
            }
        }
        _process = ChildProcess.Start(start with { OnOutputLine = OnLine, OnErrorLine = OnLine });
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>Where its <c>/healthz</c> and <c>/metrics</c> answer, once started.</summary>
    public string Url { get; private set; } = "";

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <c>mfleet worker --broker BROKER --id NAME --scratch SCRATCH --listen http://127.0.0.1:0</c> with the token
    /// in its environment (not in ps), and waits until it serves.
    /// </summary>
    public static async Task<DemoWorker> StartAsync(string name, string broker, string scratch, string token, bool echo, CancellationToken cancellationToken)
    {
        var (program, prefix) = Self();
        var start = new ChildProcessStart(program,
            [.. prefix, "worker", "--broker", broker, "--id", name, "--scratch", scratch, "--listen", "http://127.0.0.1:0"])
        {
            Environment = new Dictionary<string, string?>
            {
                ["MFLEET_TOKEN"] = token,
                // The demo's inputs are small: the default 1 GiB margin would make a nearly full disk refuse them.
                ["MFLEET_Worker__MarginBytes"] = (64L << 20).ToString(CultureInfo.InvariantCulture),
                ["MFLEET_Worker__LeaseWaitSeconds"] = "5",
            },
        };
        var worker = new DemoWorker(name, start, echo);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(60));
            var exited = worker._process.WaitForExitAsync(CancellationToken.None);
            var first = await Task.WhenAny(worker._ready.Task, exited).WaitAsync(deadline.Token).ConfigureAwait(false);
            if (first != worker._ready.Task)
            {
                throw new CliException($"demo: {name} exited before it served: {worker.LastLines()}");
            }
            worker.Url = await worker._ready.Task.ConfigureAwait(false);
            return worker;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await worker.DisposeAsync().ConfigureAwait(false);
            throw new CliException($"demo: {name} did not serve within 60 s: {worker.LastLines()}");
        }
        catch
        {
            await worker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// kill -9 of the worker alone, as a crash or the OOM killer would: what it started lives on. Returns the exit code
    /// (137: killed by signal 9).
    /// </summary>
    public async Task<int> KillAloneAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            using var process = Process.GetProcessById(Pid);
            // Without entireProcessTree: one SIGKILL to this pid, nothing to its children.
            process.Kill(entireProcessTree: false);
        }
        return await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SIGTERM, as systemd stops it: the worker hands its jobs back and exits; killed after 15 s.</summary>
    public Task<int> StopAsync(CancellationToken cancellationToken) => _process.StopAsync(TimeSpan.FromSeconds(15), cancellationToken);

    /// <summary>What the worker printed last, for an error message.</summary>
    public string LastLines()
    {
        lock (_gate)
        {
            return _tail.Count == 0 ? "(no output)" : string.Join(" | ", _tail.Select(l => l.Trim()).Where(l => l.Length > 0));
        }
    }

    /// <summary>
    /// How to run this mfleet again: its apphost when that is what runs, else <c>dotnet mfleet.dll</c> (the
    /// <c>./mfleet</c> launcher's way, and a test host's).
    /// </summary>
    private static (string Program, string[] Prefix) Self()
    {
        var host = Environment.ProcessPath;
        if (host is not null && Path.GetFileName(host) == "mfleet")
        {
            return (host, []);
        }
        var dll = Path.Combine(AppContext.BaseDirectory, "mfleet.dll");
        if (!File.Exists(dll))
        {
            throw new CliException($"demo: cannot start a worker: no mfleet.dll in {AppContext.BaseDirectory}");
        }
        var dotnet = host is not null && Path.GetFileName(host) == "dotnet" ? host
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } set ? set
            : "dotnet";
        return (dotnet, [dll]);
    }

    [GeneratedRegex(@"serving /metrics on (http://\S+)")]
    private static partial Regex ServingLine();

    /// <summary>Ends the worker by its handle (SIGTERM, then kill) when it still runs; safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        await _process.DisposeAsync().ConfigureAwait(false);
    }
}
