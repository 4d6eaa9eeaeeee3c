using MediaFleet.Library.Store;
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
