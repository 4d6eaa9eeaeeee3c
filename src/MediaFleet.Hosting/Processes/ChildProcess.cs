using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MediaFleet.Hosting.Processes;

/// <summary>
/// One child process owned from start to end: started with an argument list (no shell), its stdout streamed by line,
/// the last stderr lines kept, and its whole tree ended when it is stopped, cancelled or disposed.
/// </summary>
/// <remarks>
/// The child runs in a process group of its own (started through util-linux <c>setsid</c>, which execs in place, so
/// <see cref="Id"/> is the program's pid): one signal reaches everything it started, even what its parent left
/// behind, and a terminal's Ctrl+C reaches this process alone, which then decides. What escapes the group (a daemon
/// calling setsid itself) is found through <c>/proc</c> while its parent lives. When the child exits on its own, what
/// it left running in its group is ended too: a run ends with its program, and the pipes close.
/// </remarks>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>How long the output of an exited child is still read: a process outside the group may hold the pipe.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(2);

    private static readonly string? Setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    private readonly Process _process;
    private readonly ChildProcessStart _start;
    private readonly int? _group;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopReading = new();
    private readonly Task _rootExited;
    private readonly Task _ended;
    private List<ProcessTree.Member> _stopped = [];
    private ExceptionDispatchInfo? _callbackFailure;
    private int? _exitCode;
    private int _disposed;

    private ChildProcess(Process process, ChildProcessStart start, bool ownGroup)
    {
        _process = process;
        _start = start;
        Id = process.Id;
        _group = ownGroup ? process.Id : null;
        _rootExited = process.WaitForExitAsync(CancellationToken.None);
        _ended = RunToEndAsync();
    }

    /// <summary>The child's pid (the program's own, not a wrapper's).</summary>
    public int Id { get; }

    /// <summary>The program as started, for messages.</summary>
    public string Program => _start.Program;

    /// <summary>True once the child has exited and its output has been read.</summary>
    public bool HasExited => _exitCode is not null;

    /// <summary>The exit code once exited (128 + the signal when a signal ended it), else null.</summary>
    public int? ExitCode => _exitCode;

    /// <summary>True when the tree had to be killed: a stop's grace ran out, a wait was cancelled, or disposal came first.</summary>
    public bool Killed { get; private set; }

    /// <summary>The last stderr lines, oldest first (at most <see cref="ChildProcessStart.ErrorTailLines"/>).</summary>
    public IReadOnlyList<string> ErrorTail
    {
        get
        {
            lock (_gate)
            {
                return [.. _tail];
            }
        }
    }

    /// <summary>Starts the program; throws <see cref="ChildProcessStartException"/> when it cannot be started.</summary>
    public static ChildProcess Start(ChildProcessStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var program = Resolve(start);
        var info = new ProcessStartInfo(Setsid ?? program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Setsid is not null)
        {
            // "--": nothing after it is an option of setsid's, whatever the program is called.
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(program);
        }
        foreach (var argument in start.Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        if (start.WorkingDirectory is not null)
        {
            info.WorkingDirectory = start.WorkingDirectory;
        }
        foreach (var (name, value) in start.Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ChildProcessStartException(start.Program, "no process");
        }
        catch (Win32Exception e)
        {
            throw new ChildProcessStartException(start.Program, e.Message, e);
        }
        // No child reads this process's terminal or waits for input: stdin is at its end from the start.
        process.StandardInput.Close();
        return new ChildProcess(process, start, Setsid is not null);
    }

    /// <summary>Starts the program and waits for it; cancellation ends its tree (then throws).</summary>
    public static async Task<ChildProcessResult> RunAsync(ChildProcessStart start, CancellationToken cancellationToken)
    {
        await using var child = Start(start);
        var exitCode = await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return new ChildProcessResult(child.Id, exitCode, child.ErrorTail);
    }

    /// <summary>
    /// Waits until the child has exited and its output is read, and returns the exit code. Cancellation ends the
    /// whole tree at once (an owned child is not left running unwatched) and then throws.
    /// </summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _ended.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Kill();
            await _ended.ConfigureAwait(false);
            throw;
        }
        _callbackFailure?.Throw();
        return _exitCode!.Value;
    }

    /// <summary>
    /// Asks the child's group to stop with SIGTERM (ffmpeg then finishes its output file, nginx shuts down, a shell
    /// runs its trap), waits up to <paramref name="grace"/>, then kills the whole tree. Returns the exit code.
    /// Cancellation kills at once.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        if (!_rootExited.IsCompleted)
        {
            // Remember the tree before asking: a parent that obeys at once leaves its slower children to init.
            var members = ProcessTree.Below(Id);
            lock (_gate)
            {
                _stopped = [.. _stopped, .. members];
            }
            // No group yet when setsid has not run: then the root is all there is.
            if (_group is not { } group || !ProcessTree.SignalGroup(group, ProcessTree.SigTerm))
            {
                foreach (var member in members)
                {
                    ProcessTree.Signal(member, ProcessTree.SigTerm);
                }
            }
            try
            {
                await _rootExited.WaitAsync(grace, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Kill();
            }
            catch (OperationCanceledException)
            {
                Kill();
                await _ended.ConfigureAwait(false);
                throw;
            }
        }
        await _ended.ConfigureAwait(false);
        return _exitCode!.Value;
    }

    /// <summary>Kills the whole tree at once with SIGKILL (no wait); nothing when the child has exited.</summary>
    public void Kill()
    {
        if (_rootExited.IsCompleted)
        {
            return;
        }
        Killed = true;
        // Gather first: once the root dies, what it started belongs to init and is no longer found below it.
        var members = ProcessTree.Below(Id);
        lock (_gate)
        {
            members.AddRange(_stopped);
        }
        if (_group is { } group)
        {
            _ = ProcessTree.SignalGroup(group, ProcessTree.SigKill);
        }
        foreach (var member in members)
        {
            ProcessTree.Signal(member, ProcessTree.SigKill);
        }
    }

    /// <summary>Kills the tree when it still runs, waits for it, and releases the handle; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        Kill();
        await _ended.ConfigureAwait(false);
        _stopReading.Dispose();
        _process.Dispose();
    }

    private async Task RunToEndAsync()
    {
        var output = PumpAsync(_process.StandardOutput, _start.OnOutputLine);
        var errors = PumpAsync(_process.StandardError, line =>
        {
            lock (_gate)
            {
                _tail.Enqueue(line);
                while (_tail.Count > Math.Max(0, _start.ErrorTailLines))
                {
                    _tail.Dequeue();
                }
            }
            _start.OnErrorLine?.Invoke(line);
        });
        await _rootExited.ConfigureAwait(false);
        List<ProcessTree.Member> stopped;
        lock (_gate)
        {
            stopped = _stopped;
        }
        if (_group is { } group)
        {
            _ = ProcessTree.SignalGroup(group, ProcessTree.SigKill);
        }
        foreach (var member in stopped)
        {
            ProcessTree.Signal(member, ProcessTree.SigKill);
        }
        var pumps = Task.WhenAll(output, errors);
        try
        {
            await pumps.WaitAsync(DrainLimit, TimeProvider.System).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _stopReading.CancelAsync().ConfigureAwait(false);
            await pumps.ConfigureAwait(false);
        }
        _exitCode = _process.ExitCode;
    }

    private async Task PumpAsync(StreamReader reader, Action<string>? onLine)
    {
        try
        {
            while (await reader.ReadLineAsync(_stopReading.Token).ConfigureAwait(false) is { } line)
            {
                if (onLine is null)
                {
                    continue;
                }
                try
                {
                    onLine(line);
                }
                catch (Exception e)
                {
                    // The caller cannot follow the child any more: end it, keep draining so the pipe never blocks it.
                    lock (_gate)
                    {
                        _callbackFailure ??= ExceptionDispatchInfo.Capture(e);
                    }
                    onLine = null;
                    Kill();
                }
            }
        }
        catch (OperationCanceledException) when (_stopReading.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
    }

    private static string Resolve(ChildProcessStart start)
    {
        var program = start.Program;
        if (string.IsNullOrEmpty(program))
        {
            throw new ChildProcessStartException("", "no program given");
        }
        if (program.Contains('/'))
        {
            var path = Path.GetFullPath(program, start.WorkingDirectory ?? System.Environment.CurrentDirectory);
            return IsExecutable(path) ? path : throw new ChildProcessStartException(program, "not an executable file");
        }
        var search = start.Environment.TryGetValue("PATH", out var own) ? own : System.Environment.GetEnvironmentVariable("PATH");
        return (search ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(IsExecutable)
            ?? throw new ChildProcessStartException(program, "not found on PATH");
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}

/// <summary>How a run of <see cref="ChildProcess.RunAsync"/> ended.</summary>
public sealed record ChildProcessResult(int ProcessId, int ExitCode, IReadOnlyList<string> ErrorTail);
