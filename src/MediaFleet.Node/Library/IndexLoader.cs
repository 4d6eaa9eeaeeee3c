using MediaFleet.Library.Store;
using MediaFleet.Node.Replication;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Node.Library;

/// <summary>
/// Loads the catalog's file index in the background: a library of a million files serves (from SQLite) at once and
/// from memory a second or two later. On a follower the load starts after its first catch-up: at a million files it
/// is seconds of a core and a full collection, which on two cores made applying ten changes five times slower. (Not
/// a nice-19 thread instead: a collection it triggers would run at that priority while every other thread waits, and
/// threads it starts would inherit it.)
/// </summary>
internal sealed partial class IndexLoader(LibraryStore store, FirstCatchUp catchUp, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<IndexLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After the node listens: on two cores the load would otherwise slow start-up itself.
        await Task.Delay(Timeout.InfiniteTimeSpan, lifetime.ApplicationStarted).ContinueWith(static _ => { }, stoppingToken, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        stoppingToken.ThrowIfCancellationRequested();
        if (!catchUp.Done.IsCompleted)
        {
            try
            {
                // One query now, so /v1/status says how many files the node holds while the load waits.
                await Task.Run(store.Catalog.CountFiles, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.LoadFailed(logger, e);
            }
            await catchUp.WaitAsync(time, stoppingToken).ConfigureAwait(false);
        }
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
