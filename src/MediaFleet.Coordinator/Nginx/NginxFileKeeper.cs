using System.Text;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Hosting;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.Events;
using MediaFleet.Coordinator.States;
using MediaFleet.Library.Store;

namespace MediaFleet.Coordinator.Nginx;

/// <summary>
/// Keeps the operator's nginx file in step with the server states (DESIGN.md section 6): after the start-up grace,
/// changes arriving within <c>ReloadDebounce</c> are written together, only when the text changes; the new file
/// goes in beside the old one, is tested in place and taken back if the test fails, so nginx is reloaded only
/// with a file that passed.
/// </summary>
internal sealed class NginxFileKeeper : BackgroundService
{
    /// <summary>Hand edits of the file are picked up at least this often, and a failed candidate is tried again.</summary>
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(30);

    // Latin-1 maps every byte to one char and back, so lines the coordinator does not touch stay byte for byte.
    private static readonly Encoding Bytes = Encoding.Latin1;

    private readonly ServerRegistry _registry;
    private readonly CoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly CoordinatorMetrics _metrics;
    private readonly RecentEvents _events;
    private readonly ILogger<NginxFileKeeper> _logger;
    private readonly string _file;
    private readonly Lock _gate = new();
    private DateTimeOffset? _writtenAt;
    private long _writes;
    private long _reloads;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private bool _reloadPending;
    private string? _failedCandidate;
    private DateTimeOffset _failedAt;
    private string? _loggedTestFailure;
    private string? _reportedReloadFailure;

    public NginxFileKeeper(
        ServerRegistry registry, CoordinatorOptions options, TimeProvider time, CoordinatorMetrics metrics, RecentEvents events, ILogger<NginxFileKeeper> logger)
    {
        _events = events;
        _registry = registry;
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _file = Path.GetFullPath(options.NginxConf ?? throw new ArgumentException("no nginx file configured", nameof(options)));
    }

    private string Candidate => _file + ".mfleet-new";

    private string Previous => _file + ".mfleet-old";

    /// <summary>
    /// Before anything listens: puts back the file a cut-off test left in place, and reads the thresholds of the
    /// server lines so that the first heartbeats are judged by them.
    /// </summary>
    public void Prepare()
    {
        if (File.Exists(Previous))
        {
            // The candidate had not passed its test when the coordinator stopped: the file from before it is the good one.
            File.Move(Previous, _file, overwrite: true);
            Durability.FlushDirectory(Path.GetDirectoryName(_file)!);
            Log.RestoredInterrupted(_logger, _file);
        }
        File.Delete(Candidate);
        _registry.UseLines(NginxUpstreamFile.Parse(Bytes.GetString(File.ReadAllBytes(_file))));
    }

    public NginxStateDto Describe()
    {
        lock (_gate)
        {
            return new NginxStateDto(_file, _writtenAt, _writes, _reloads, _lastError, _lastErrorAt);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var grace = _registry.StartedAt + _options.SilenceLimit - _time.GetUtcNow();
        if (grace > TimeSpan.Zero)
        {
            Log.Grace(_logger, _file, Math.Round(grace.TotalSeconds, 1));
            await Task.Delay(grace, _time, stoppingToken).ConfigureAwait(false);
        }
        var guard = new LoopGuard(_logger, "nginx file keeper", Fail);
        while (!stoppingToken.IsCancellationRequested)
        {
            var seen = _registry.ChangeCount;
            if (!await guard.RunAsync(ApplyAsync, _time, stoppingToken).ConfigureAwait(false))
            {
                continue; // the back-off has been waited: try again, whatever changed meanwhile
            }
            using var recheck = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var change = _registry.WaitForChangeAsync(seen, recheck.Token);
            var timer = Task.Delay(Recheck, _time, recheck.Token);
            var first = await Task.WhenAny(change, timer).ConfigureAwait(false);
            await recheck.CancelAsync().ConfigureAwait(false);
            stoppingToken.ThrowIfCancellationRequested();
            if (first == change)
            {
                // Gather the changes of the next moments into the same write: one reload, not one per server.
                await Task.Delay(_options.Debounce, _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One pass: read the file, rewrite it from the states, install it if it changed.</summary>
    internal async Task ApplyAsync(CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = Bytes.GetString(await File.ReadAllBytesAsync(_file, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var error = $"cannot read {_file}: {e.Message}";
            if (Describe().LastError != error)
            {
                _events.Add(EventKind.Nginx, null, error);
            }
            Fail(error);
            Log.Unreadable(_logger, _file, e.Message);
            return;
        }
        _registry.UseLines(NginxUpstreamFile.Parse(text));
        var next = NginxUpstreamFile.Rewrite(text, _registry.StateOf);
        if (next == text)
        {
            if (_reloadPending && await ReloadAsync(cancellationToken).ConfigureAwait(false))
            {
                _events.Add(EventKind.Nginx, null, "nginx reloaded with the file written before the failed reload");
            }
            return;
        }
        if (next == _failedCandidate && _time.GetUtcNow() - _failedAt < Recheck)
        {
            return; // the same text failed its test a moment ago; tried again on the next change or recheck
        }
        await InstallAsync(text, next, cancellationToken).ConfigureAwait(false);
    }

    private async Task InstallAsync(string current, string next, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(_file)!;
        UnixFileMode? mode = OperatingSystem.IsWindows() ? null : File.GetUnixFileMode(_file);
        await WriteDurablyAsync(Previous, current, mode, cancellationToken).ConfigureAwait(false);
        await WriteDurablyAsync(Candidate, next, mode, cancellationToken).ConfigureAwait(false);
        File.Move(Candidate, _file, overwrite: true);
        string? failure;
        try
        {
            Durability.FlushDirectory(folder);
            failure = await ExternalCommand.RunAsync(_options.NginxTest, ExternalCommand.DefaultTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // An untested file must not stay in place for nginx's next reload, by us or anyone.
            File.Move(Previous, _file, overwrite: true);
            throw;
        }
        if (failure is not null)
        {
            File.Move(Previous, _file, overwrite: true);
            Durability.FlushDirectory(folder);
            _failedCandidate = next;
            _failedAt = _time.GetUtcNow();
            _metrics.Nginx("test_failed");
            Fail(failure);
            if (failure != _loggedTestFailure)
            {
                // Every change makes a new candidate that fails the same way until someone mends nginx: said once.
                Log.TestFailed(_logger, _file, failure);
                _events.Add(EventKind.Nginx, null, $"test failed, the file was NOT installed (the previous one stays): {failure}");
                _loggedTestFailure = failure;
            }
            return;
        }
        if (_loggedTestFailure is not null)
        {
            Log.TestPassesAgain(_logger, _file);
            _events.Add(EventKind.Nginx, null, "the test passes again");
            _loggedTestFailure = null;
        }
        File.Delete(Previous);
        Durability.FlushDirectory(folder);
        _failedCandidate = null;
        _metrics.Nginx("written");
        lock (_gate)
        {
            _writes++;
            _writtenAt = _time.GetUtcNow();
            _lastError = null;
            _lastErrorAt = null;
        }
        _reloadPending = true;
        if (await ReloadAsync(cancellationToken).ConfigureAwait(false))
        {
            var lines = Describe(current, next);
            Log.Rewritten(_logger, _file, lines);
            _events.Add(EventKind.Nginx, null, $"file rewritten ({lines}) and nginx reloaded");
        }
    }

    private async Task<bool> ReloadAsync(CancellationToken cancellationToken)
    {
        var failure = await ExternalCommand.RunAsync(_options.NginxReload, ExternalCommand.DefaultTimeout, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            _metrics.Nginx("reload_failed");
            Fail(failure);
            Log.ReloadFailed(_logger, failure);
            if (failure != _reportedReloadFailure)
            {
                // Retried on every pass until it works: one event per kind of failure, not one per retry.
                _events.Add(EventKind.Nginx, null, $"reload failed, will retry: {failure}");
                _reportedReloadFailure = failure;
            }
            return false;
        }
        _reloadPending = false;
        _reportedReloadFailure = null;
        _metrics.Nginx("reloaded");
        lock (_gate)
        {
            _reloads++;
        }
        return true;
    }

    private void Fail(string error)
    {
        lock (_gate)
        {
            _lastError = error;
            _lastErrorAt = _time.GetUtcNow();
        }
    }

    private static async Task WriteDurablyAsync(string path, string text, UnixFileMode? mode, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(Bytes.GetBytes(text), cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        if (mode is { } keep && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, keep); // the operator's permissions, e.g. readable by nginx only
        }
    }

    /// <summary>The changed lines, for the log: "line 3 'server a:1 down;'".</summary>
    private static string Describe(string before, string after)
    {
        var old = before.Split('\n');
        var changed = after.Split('\n')
            .Select((line, i) => (line, i))
            .Where(x => x.i >= old.Length || old[x.i] != x.line)
            .Select(x => $"line {x.i + 1} '{x.line.Trim()}'")
            .ToList();
        return changed.Count <= 5 ? string.Join(", ", changed) : $"{string.Join(", ", changed.Take(5))} and {changed.Count - 5} more";
    }
}
