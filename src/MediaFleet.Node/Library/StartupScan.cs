using MediaFleet.Contracts.Files;
using MediaFleet.Hosting;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Store;
using MediaFleet.Node.Configuration;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Node.Library;

/// <summary>
/// Loads the catalog's file index in the background: a library of a million files serves (from SQLite) at once and
/// from memory a second or two later.
/// </summary>
internal sealed partial class IndexLoader(LibraryStore store, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<IndexLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After the node listens: on two cores the load would otherwise slow start-up itself.
        await Task.Delay(Timeout.InfiniteTimeSpan, lifetime.ApplicationStarted).ContinueWith(static _ => { }, stoppingToken, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        stoppingToken.ThrowIfCancellationRequested();
        var started = time.GetTimestamp();
        try
        {
            await Task.Run(() => store.Catalog.LoadIndex(stoppingToken), stoppingToken).ConfigureAwait(false);
            var heap = GC.GetGCMemoryInfo();
            Log.Loaded(logger, store.Catalog.FileCount, time.GetElapsedTime(started).TotalSeconds, heap.HeapSizeBytes >> 20, heap.TotalCommittedBytes >> 20);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Reads keep asking SQLite: slower, never wrong. The node serves on.
            Log.LoadFailed(logger, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2400, LogLevel.Information, "Catalog index loaded: {Files} files in {Seconds:0.00} s (managed heap {HeapMiB} MiB, {CommittedMiB} MiB committed)")]
        public static partial void Loaded(ILogger logger, int files, double seconds, long heapMiB, long committedMiB);

        [LoggerMessage(2401, LogLevel.Error, "Catalog index could not be loaded; reads go to SQLite")]
        public static partial void LoadFailed(ILogger logger, Exception exception);
    }
}

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
