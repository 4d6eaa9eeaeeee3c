using MediaFleet.Contracts.Files;
using MediaFleet.Hosting;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Store;
using MediaFleet.Node.Configuration;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Node.Library;

/// <summary>Where the start-up comparison of folder and catalog is, for <c>/v1/status</c>.</summary>
public sealed class StartupScanProgress
{
    private long _checked;
    private long _unknown;
    private int _running;
    private DateTimeOffset? _finishedAt;

    internal void Started() => Volatile.Write(ref _running, 1);

    internal void Report(long entries, long unknown)
    {
        Interlocked.Exchange(ref _checked, entries);
        Interlocked.Exchange(ref _unknown, unknown);
    }

    internal void Finished(DateTimeOffset at)
    {
        _finishedAt = at;
        Volatile.Write(ref _running, 0);
    }

    public StartupScanDto Describe(bool indexLoaded) =>
        new(indexLoaded, Volatile.Read(ref _running) == 1, Interlocked.Read(ref _checked), Interlocked.Read(ref _unknown), _finishedAt);
}

/// <summary>
/// Start-up comparison of folder and catalog, in the background and a little later, so walking a large library
/// neither delays serving nor competes with a follower's first catch-up; it waits for the file index, one thread.
/// </summary>
internal sealed class StartupScan(LibraryStore store, NodeOptions options, StartupScanProgress progress, TimeProvider time, ILogger<StartupScan> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(10), time, stoppingToken).ConfigureAwait(false);
        try
        {
            await store.Catalog.IndexLoaded.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Logged by the loader; the scan asks SQLite instead.
        }
        // A follower provisioning into a folder an old rsync filled is about to keep those files: they are not unknown.
        while (options.Upstream is not null && store.Catalog.SeenVersion == DataVersion.Zero)
        {
            await store.Catalog.WaitForChangeAsync(DataVersion.Zero, TimeSpan.FromSeconds(30), stoppingToken).ConfigureAwait(false);
        }
        var guard = new LoopGuard(logger, "start-up scan");
        progress.Started();
        while (!await guard.RunAsync(token => Task.Run(() => store.ReportUnknownFiles(token, progress.Report), token), time, stoppingToken).ConfigureAwait(false))
        {
        }
        progress.Finished(time.GetUtcNow());
    }
}
