using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Problems;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Files;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Node.Configuration;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Node.Replication;

/// <summary>
/// A follower: long-polls its upstream's changelog, records the entries with the primary's versions and applies
/// them in order (coalesced per path), provisions from the manifest when it starts empty or was compacted away,
/// and retries what it could not apply with capped exponential back-off. Nothing is dropped: a failure is a row
/// in <c>missing</c> until a transfer or a later change settles it.
/// </summary>
public sealed partial class Follower(
    LibraryStore store, Upstream upstream, NodeOptions options, TimeProvider time, NodeMetrics metrics, Integrity.RepairList repairs, FirstCatchUp catchUp,
    ILogger<Follower> logger) : BackgroundService, IAsyncDisposable
{
    private const int BatchLimit = 1000;

    /// <summary>
    /// Transfers in flight for files of at most <see cref="SmallFile"/> bytes: their cost is round trips and fsyncs, not
    /// bandwidth, so many overlap (and their commits group); large files keep <c>Node:TransferParallelism</c>.
    /// </summary>
    private const int SmallFileParallelism = 32;

    private const long SmallFile = 1 << 20;

    /// <summary>Files asked for in one bundle: enough that a request's cost vanishes, few enough that a broken answer costs little.</summary>
    private const int BundleFiles = 256;

    /// <summary>Fewest transfers a catch-up asks for as a bundle; below it each file is fetched alone, as a live change is.</summary>
    private const int MinBundleFiles = 8;

    /// <summary>Bundles in flight: some arriving or flushing while another's group is being installed.</summary>
    private const int BundlesInFlight = 3;
    private static readonly TimeSpan MaxPollBackoff = TimeSpan.FromSeconds(30);

    private readonly Lock _startGate = new();
    private bool _started;
    private bool _disposing;

    /// <summary>
    /// Starts the replication loop once: the node starts it before its host does, and the host's start finds it
    /// running. A start that comes after the disposal began does nothing.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_startGate)
        {
            if (_started || _disposing)
            {
                return Task.CompletedTask;
            }
            _started = true;
            return base.StartAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Stops the loop and waits for it: a node whose host never started (its port taken) still ran the catch-up, which
    /// must end before the catalog it writes to is closed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_startGate)
        {
            _disposing = true;
        }
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retries = RetryMissingAsync(stoppingToken);
        var needsProvisioning = store.Catalog.SeenVersion == DataVersion.Zero;
        if (needsProvisioning)
        {
            // An empty catalog has no index worth deferring, and provisioning would hold it back for its whole length.
            catchUp.Reached();
        }
        var guard = new LoopGuard(logger, $"Replication from {upstream.BaseAddress}", TimeSpan.FromMilliseconds(250), MaxPollBackoff);
        var resumed = false;
        var connected = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!resumed)
                {
                    await FinishSeenChangesAsync(stoppingToken).ConfigureAwait(false);
                    resumed = true;
                }
                if (needsProvisioning)
                {
                    await ProvisionAsync(stoppingToken).ConfigureAwait(false);
                    needsProvisioning = false;
                    // Here, not in ProvisionAsync: its lists of a million manifest lines are garbage only once it returned.
                    store.Catalog.ReleaseMemoryAfterBulkWork(store.Catalog.FileCount);
                }
                var answer = await upstream.GetChangesAsync(store.Catalog.SeenVersion, BatchLimit, connected ? options.ChangesWaitSeconds : 0, stoppingToken).ConfigureAwait(false);
                if (!connected)
                {
                    connected = true;
                    Log.Connected(logger, upstream.BaseAddress.ToString(), answer.Version, store.Catalog.Version.Value);
                }
                if (answer.Changes.Count > 0)
                {
                    await ApplyBatchAsync(answer.Changes.Select(ToEntry).ToList(), stoppingToken).ConfigureAwait(false);
                }
                if (answer.Changes.Count < BatchLimit)
                {
                    catchUp.Reached();
                }
                guard.Succeeded();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                if (e is MediaFleetException { Slug: ProblemTypes.ChangesCompacted })
                {
                    Log.Compacted(logger, store.Catalog.SeenVersion.Value, e.Message);
                    needsProvisioning = true;
                }
                // Whatever broke (the upstream, the link, the disk, a bug), the loop goes on: an upstream that is itself
                // still provisioning can answer 410 more than once, and a dead one must not be called in a spin.
                connected = false;
                // A batch may have been recorded as seen and applied only in part: the next pass applies again the seen
                // changes above what the change loop applied (every apply is idempotent) before it polls for more.
                resumed = false;
                await DelayAsync(guard.Failed(e), stoppingToken).ConfigureAwait(false);
            }
        }
        await retries.ConfigureAwait(false);
    }

    /// <summary>
    /// After a crash (or a failed pass), changes seen (recorded) but not all applied lie above what the change loop
    /// applied (at start-up: data_version) up to seen_version: they are applied again from the node's own changelog;
    /// every apply is idempotent, and nothing applied before is done twice.
    /// </summary>
    private async Task FinishSeenChangesAsync(CancellationToken cancellationToken)
    {
        var catalog = store.Catalog;
        var cursor = catalog.AppliedThrough;
        var seen = catalog.SeenVersion;
        while (cursor < seen && !cancellationToken.IsCancellationRequested)
        {
            var pending = await catalog.ReadChangesAsync(cursor, seen, BatchLimit, cancellationToken).ConfigureAwait(false);
            if (pending.Count == 0)
            {
                break;
            }
            Log.Resuming(logger, pending.Count, cursor.Value, seen.Value);
            await ApplyBatchAsync(pending, cancellationToken).ConfigureAwait(false);
            cursor = pending[^1].Version;
        }
        // Every seen change is applied again now; those no longer in the changelog came with a snapshot (provisioning).
        await store.PublishFollowerVersionAsync(cancellationToken, cancellationToken.IsCancellationRequested ? null : seen).ConfigureAwait(false);
    }

    /// <summary>Records a batch as seen, applies it in version order and publishes the new data version.</summary>
    internal async Task ApplyBatchAsync(IReadOnlyList<ChangeEntry> changes, CancellationToken cancellationToken)
    {
        await store.RecordSeenAsync(changes, cancellationToken).ConfigureAwait(false);
        var plan = Coalesce(changes);
        for (var i = 0; i < plan.Count;)
        {
            // A run of puts to distinct paths has no order among itself: its transfers overlap.
            var run = 0;
            var paths = new HashSet<string>(StringComparer.Ordinal);
            while (i + run < plan.Count && plan[i + run].Op == ChangeOp.Put && paths.Add(plan[i + run].Path))
            {
                run++;
            }
            if (run > 1)
            {
                await ApplyPutsAsync(plan.Skip(i).Take(run).ToList(), cancellationToken).ConfigureAwait(false);
                i += run;
            }
            else
            {
                await ApplyAsync(plan[i], cancellationToken).ConfigureAwait(false);
                i++;
            }
        }
        var version = await store.PublishFollowerVersionAsync(cancellationToken, changes.Max(c => c.Version)).ConfigureAwait(false);
        Log.Applied(logger, changes.Count, plan.Count, version.Value, store.Catalog.SeenVersion.Value, store.Catalog.MissingCount);
    }

    /// <summary>
    /// Applies puts to distinct paths side by side: when many small files need a transfer (a follower far behind), they
    /// come in bundles and install in groups, as in provisioning; the others (already here, a local copy, large, or too
    /// few to bundle) go one by one.
    /// </summary>
    private async Task ApplyPutsAsync(IReadOnlyList<ChangeEntry> puts, CancellationToken cancellationToken)
    {
        var bundled = new List<WantedFile>();
        var single = new List<ChangeEntry>();
        foreach (var change in puts)
        {
            if (change is { Size: >= 0 and <= SmallFile, Sha256: { } sha256 } && LibraryPath.TryParse(change.Path, out var path, out _)
                && store.Catalog.Find(path.Value)?.Sha256 != sha256 && store.FindByDigest(sha256) is null)
            {
                bundled.Add(new WantedFile(path, sha256, change.Size.Value, change.Version));
            }
            else
            {
                single.Add(change);
            }
        }
        if (bundled.Count < MinBundleFiles)
        {
            single = [.. puts];
            bundled.Clear();
        }
        var chunks = bundled.Chunk(BundleFiles).ToList();
        await Task.WhenAll(
            Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = BundlesInFlight, CancellationToken = cancellationToken },
                async (chunk, token) => await TransferManyAsync(chunk, token).ConfigureAwait(false)),
            Parallel.ForEachAsync(single, new ParallelOptions { MaxDegreeOfParallelism = Parallelism(single.Count == 0 ? 0 : single.Max(p => p.Size ?? long.MaxValue)), CancellationToken = cancellationToken },
                async (change, token) => await ApplyAsync(change, token).ConfigureAwait(false))).ConfigureAwait(false);
    }

    /// <summary>
    /// The changes worth applying: a put is skipped when a later put or delete of the same path (or a move onto
    /// it) replaces it before anything reads it, so put-then-delete costs one delete and no transfer.
    /// </summary>
    public static IReadOnlyList<ChangeEntry> Coalesce(IReadOnlyList<ChangeEntry> changes)
    {
        var keep = new List<ChangeEntry>(changes.Count);
        var nextTouch = new Dictionary<string, ChangeEntry>(StringComparer.Ordinal);
        var superseded = new bool[changes.Count];
        for (var i = changes.Count - 1; i >= 0; i--)
        {
            var c = changes[i];
            if (c.Op == ChangeOp.Put && nextTouch.TryGetValue(c.Path, out var next)
                && (next.Op is ChangeOp.Put or ChangeOp.Delete && next.Path == c.Path || next.Op == ChangeOp.Move && next.To == c.Path && next.Path != c.Path))
            {
                superseded[i] = true;
            }
            nextTouch[c.Path] = c;
            if (c.To is { } to)
            {
                nextTouch[to] = c;
            }
        }
        for (var i = 0; i < changes.Count; i++)
        {
            if (!superseded[i])
            {
                keep.Add(changes[i]);
            }
        }
        return keep;
    }

    private async Task ApplyAsync(ChangeEntry change, CancellationToken cancellationToken)
    {
        if (!LibraryPath.TryParse(change.Path, out var path, out _))
        {
            return;
        }
        switch (change.Op)
        {
            case ChangeOp.Put:
                await PutAsync(path, change.Sha256!.Value, change.Size, change.Version, cancellationToken).ConfigureAwait(false);
                break;
            case ChangeOp.Delete:
                await store.ApplyDeleteAsync(path, change.Version, cancellationToken).ConfigureAwait(false);
                break;
            case ChangeOp.Move when LibraryPath.TryParse(change.To, out var to, out _):
                if (await store.ApplyMoveAsync(path, to, change.Sha256, change.Version, cancellationToken).ConfigureAwait(false))
                {
                    metrics.LocalMove();
                }
                else
                {
                    // Not held here (yet): the moved file is fetched under its new name, the old name goes.
                    await store.ApplyDeleteAsync(path, change.Version, cancellationToken).ConfigureAwait(false);
                    await PutAsync(to, change.Sha256!.Value, change.Size, change.Version, cancellationToken).ConfigureAwait(false);
                }
                break;
        }
    }

    /// <summary>Makes <paramref name="path"/> hold <paramref name="sha256"/>: already there, a local copy, or a transfer.</summary>
    /// <param name="retry">A retry of a missing entry: it yields to any later change of the path that settled it meanwhile.</param>
    private async Task<bool> PutAsync(LibraryPath path, Sha256Digest sha256, long? size, DataVersion version, CancellationToken cancellationToken, bool retry = false)
    {
        try
        {
            var current = store.Catalog.Find(path.Value);
            if (current?.Sha256 == sha256 && File.Exists(store.Root.PhysicalPath(path)))
            {
                await store.KeepExistingAsync(path, sha256, current.Size, version, cancellationToken).ConfigureAwait(false);
                return true;
            }
            if (store.FindByDigest(sha256) is { } local)
            {
                var copy = await store.CopyLocalAsync(local, path, version, cancellationToken, retry).ConfigureAwait(false);
                if (copy.Succeeded)
                {
                    metrics.LocalCopy();
                    return true;
                }
            }
            // A small file's fsync costs more than its transfer: its group commit flushes all of them with one syncfs.
            var flush = size is not (>= 0 and <= SmallFile);
            var partial = await upstream.FetchAsync(path, sha256, size, flush, cancellationToken).ConfigureAwait(false);
            var result = await store.InstallVerifiedAsync(path, partial, sha256, version, bytesFlushed: flush, cancellationToken, retry).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new TransferFailedException(result.Detail ?? result.Status.ToString());
            }
            return true;
        }
        catch (Exception e) when (e is TransferFailedException or IOException or UnauthorizedAccessException && !cancellationToken.IsCancellationRequested)
        {
            var previous = store.Catalog.FindMissing(path.Value);
            var attempts = previous is not null && previous.Version == version ? previous.Attempts : 0;
            var wait = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, attempts), options.RetryMaxSeconds));
            if (await store.RecordMissingAsync(path.Value, version, sha256, e.Message, time.GetUtcNow() + wait, cancellationToken, retry).ConfigureAwait(false) is not null)
            {
                Log.Missing(logger, path.Value, version.Value, e.Message, wait.TotalSeconds);
            }
            return false;
        }
    }

    /// <summary>Retries due entries of <c>missing</c> until the node stops; a pass that fails is logged once and retried.</summary>
    private async Task RetryMissingAsync(CancellationToken stoppingToken)
    {
        var guard = new LoopGuard(logger, "Retrying missing files", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(options.RetryMaxSeconds));
        var wait = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            await DelayAsync(wait, stoppingToken).ConfigureAwait(false);
            wait = TimeSpan.FromSeconds(1);
            try
            {
                var now = time.GetUtcNow();
                // Quarantined copies are the healer's: it looks beyond the upstream when the upstream's copy is bad too.
                // Files the preservation score wants repaired come first.
                var due = repairs.First(store.Catalog.ListMissing().Where(m => m.Sha256 is not null && !LibraryStore.IsCorrupt(m) && (m.NextTryAt is null || m.NextTryAt <= now)), m => m.Path);
                if (due.Count == 0)
                {
                    continue;
                }
                foreach (var missing in due)
                {
                    if (LibraryPath.TryParse(missing.Path, out var path, out _))
                    {
                        await PutAsync(path, missing.Sha256!.Value, null, missing.Version, stoppingToken, retry: true).ConfigureAwait(false);
                    }
                }
                await store.PublishFollowerVersionAsync(stoppingToken).ConfigureAwait(false);
                guard.Succeeded();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                wait = guard.Failed(e);
            }
        }
    }

    /// <summary>
    /// Transfers small files in one bundle and installs those that arrived as one group; each that did not (or could
    /// not be installed) goes the single way, which records it missing if it fails there too.
    /// </summary>
    private async Task TransferManyAsync(IReadOnlyList<WantedFile> batch, CancellationToken cancellationToken)
    {
        var installed = new HashSet<string>(StringComparer.Ordinal);
        using (var bundle = await upstream.FetchBundleAsync(batch, cancellationToken).ConfigureAwait(false))
        {
            var results = bundle.Files.Count == 0 || !TryFlush(bundle.Files) ? [] : await store.InstallVerifiedManyAsync(bundle.Files, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < results.Count; i++)
            {
                try
                {
                    if ((await results[i].ConfigureAwait(false)).Succeeded)
                    {
                        installed.Add(bundle.Files[i].Path.Value);
                    }
                }
                catch (IOException)
                {
                    // Its bytes could not be flushed or recorded: the single way tries again and records the reason.
                }
            }
        }
        foreach (var transfer in batch.Where(t => !installed.Contains(t.Path.Value)))
        {
            await PutAsync(transfer.Path, transfer.Sha256, transfer.Size, transfer.Version, cancellationToken).ConfigureAwait(false);
        }

        bool TryFlush(IReadOnlyList<VerifiedTransfer> files)
        {
            try
            {
                store.FlushTransfers(files);
                return true;
            }
            catch (IOException)
            {
                // Bytes that may not be on disk are not installed; the single way fetches them again.
                return false;
            }
        }
    }

    /// <summary>Transfers in flight for files of up to <paramref name="largest"/> bytes.</summary>
    private int Parallelism(long largest) => largest <= SmallFile ? Math.Max(SmallFileParallelism, options.TransferParallelism) : options.TransferParallelism;

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        Task.Delay(delay, time, cancellationToken).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static ChangeEntry ToEntry(ChangeDto c) => new(
        new DataVersion(c.Version),
        c.Op switch { "put" => ChangeOp.Put, "delete" => ChangeOp.Delete, "move" => ChangeOp.Move, _ => throw new System.Text.Json.JsonException($"unknown op {c.Op}") },
        c.Path,
        c.To,
        c.Sha256 is null ? null : Sha256Digest.ParseHex(c.Sha256),
        c.Size,
        c.At);

    private static partial class Log
    {
        [LoggerMessage(2100, LogLevel.Information, "Applied {Count} changes ({Applied} after coalescing): version {Version}, seen {Seen}, missing {Missing}")]
        public static partial void Applied(ILogger logger, int count, int applied, long version, long seen, int missing);

        [LoggerMessage(2102, LogLevel.Warning, "{Path} (version {Version}) is missing: {Reason}; next try in {Seconds} s")]
        public static partial void Missing(ILogger logger, string path, long version, string reason, double seconds);

        [LoggerMessage(2103, LogLevel.Warning, "Upstream compacted its changelog past our version {Seen} ({Detail}): provisioning from its manifest")]
        public static partial void Compacted(ILogger logger, long seen, string detail);

        [LoggerMessage(2108, LogLevel.Information, "Connected to upstream {Upstream} at version {UpstreamVersion}; this node is at version {Version}")]
        public static partial void Connected(ILogger logger, string upstream, long upstreamVersion, long version);

        [LoggerMessage(2107, LogLevel.Information, "Re-applying {Count} changes seen before a restart (version {Version}, seen {Seen})")]
        public static partial void Resuming(ILogger logger, int count, long version, long seen);

        [LoggerMessage(2104, LogLevel.Information, "Provisioning from {Upstream}: {Files} files, {Bytes} bytes at version {Version}")]
        public static partial void ProvisionStarted(ILogger logger, string upstream, int files, long bytes, long version);

        [LoggerMessage(2105, LogLevel.Information, "Provisioning: {Done}/{Total} files, {DoneBytes}/{TotalBytes} bytes")]
        public static partial void ProvisionProgress(ILogger logger, int done, int total, long doneBytes, long totalBytes);

        [LoggerMessage(2106, LogLevel.Information, "Provisioned {Files} files: version {Version}, missing {Missing}")]
        public static partial void ProvisionDone(ILogger logger, int files, long version, int missing);
    }
}
