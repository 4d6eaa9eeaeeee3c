using MediaFleet.Contracts.Client;
using MediaFleet.Hosting;
using MediaFleet.Library.Digests;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Conversion.Broker;

/// <summary>Returns the jobs of workers that went silent to the queue, once a second.</summary>
internal sealed class LeaseReaper(JobQueue queue, TimeProvider time, ILogger<LeaseReaper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        var guard = new LoopGuard(logger, "lease expiry");
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await guard.RunAsync(_ => { queue.ExpireLeases(); return Task.CompletedTask; }, time, stoppingToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Removes finished jobs' files once they were kept <c>KeepDays</c> (after the client fetched a succeeded one, after a
/// failed or cancelled one ended); the job itself stays listed.
/// </summary>
internal sealed class FileCleanup(JobQueue queue, BrokerOptions options, TimeProvider time, ILogger<FileCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10), time);
        var guard = new LoopGuard(logger, "file clean-up");
        do
        {
            await guard.RunAsync(_ => { RemoveExpired(); return Task.CompletedTask; }, time, stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    internal int RemoveExpired()
    {
        var expired = queue.Store.ExpiredFiles(time.GetUtcNow() - TimeSpan.FromDays(options.KeepDays));
        foreach (var job in expired)
        {
            JobFiles.TryDeleteFolder(queue.Files.FolderOf(job.Id));
            if (!Directory.Exists(queue.Files.FolderOf(job.Id)))
            {
                queue.Store.MarkFilesRemoved(job.Id);
            }
        }
        if (expired.Count > 0)
        {
            Log.FilesRemoved(logger, expired.Count);
        }
        return expired.Count;
    }
}

/// <summary>
/// Puts succeeded outputs that asked for <c>ingest_as</c> into the library through the primary (<c>Broker:Node</c>),
/// with their digest, retrying until they land, so an offline client holds nothing up. A refusal that retrying cannot
/// change (a bad path, a folder in the way) marks the ingest failed with the node's reason.
/// </summary>
internal sealed class LibraryIngest(JobQueue queue, BrokerOptions options, ClusterHttp cluster, TimeProvider time, ILogger<LibraryIngest> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Node is not { } node)
        {
            return;
        }
        using var http = cluster.Create(new Uri(node));
        var client = new NodeClient(http);
        var guard = new LoopGuard(logger, "library ingest");
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = await guard.RunAsync(ct => IngestPendingAsync(client, ct), time, stoppingToken).ConfigureAwait(false);
            if (worked)
            {
                await queue.WaitForSuccessAsync(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task IngestPendingAsync(NodeClient client, CancellationToken cancellationToken)
    {
        foreach (var job in queue.Store.PendingIngests())
        {
            var file = queue.OutputFileOf(job);
            if (file is null || !File.Exists(file))
            {
                queue.Store.SetIngest(job.Id, IngestStates.Failed, null, "the output file is gone", time.GetUtcNow());
                continue;
            }
            await using var content = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
            try
            {
                var (put, _) = await client.PutFileAsync(job.IngestPath!, content, content.Length,
                    Sha256Digest.ParseHex(job.OutputSha256!).ToHeaderValue(), cancellationToken).ConfigureAwait(false);
                queue.Store.SetIngest(job.Id, IngestStates.Done, put.Version, null, time.GetUtcNow());
                Log.Ingested(logger, job.Id, put.Path, put.Version);
            }
            catch (MediaFleetException e) when ((int)e.Status is >= 400 and < 500 and not 401 and not 403 and not 408 and not 429)
            {
                queue.Store.SetIngest(job.Id, IngestStates.Failed, null, e.Message, time.GetUtcNow());
                Log.IngestRefused(logger, job.Id, job.IngestPath!, e.Message);
            }
        }
    }
}
