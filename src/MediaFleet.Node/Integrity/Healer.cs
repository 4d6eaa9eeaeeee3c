using MediaFleet.Contracts.Client;
using MediaFleet.Hosting;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Node.Configuration;
using MediaFleet.Node.Replication;

namespace MediaFleet.Node.Integrity;

/// <summary>
/// Heals quarantined copies (DESIGN.md section 7): good bytes from the upstream first, else from any node the
/// coordinator lists (how the primary heals from its followers), installing only bytes whose SHA-256 equals the
/// catalog's. When no source has them the copy stays listed missing with the reasons, retried with back-off; when good
/// bytes cannot replace the bad copy (a mount over the file) it stays listed as stuck, with the reason.
/// </summary>
internal sealed class Healer(LibraryStore store, NodeOptions options, ClusterHttp cluster, NodeMetrics metrics, RepairList repairs, TimeProvider time, ILogger<Healer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var health = new LoopGuard(logger, "healer");
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
            try
            {
                await HealDueAsync(stoppingToken).ConfigureAwait(false);
                health.Succeeded();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                await health.BackOffAsync(e, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task HealDueAsync(CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        // Files the preservation score wants repaired come first.
        foreach (var missing in repairs.First(store.Catalog.ListMissing(), m => m.Path))
        {
            if (LibraryStore.IsCorrupt(missing) && missing.Sha256 is not null && (missing.NextTryAt is null || missing.NextTryAt <= now)
                && LibraryPath.TryParse(missing.Path, out var path, out _))
            {
                await HealAsync(path, missing, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task HealAsync(LibraryPath path, MissingEntry missing, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        string? stuck = null;
        foreach (var (name, url) in await SourcesAsync(failures, cancellationToken).ConfigureAwait(false))
        {
            using var http = cluster.Create(new Uri(url));
            try
            {
                var partial = await PeerFetch.FetchAsync(http, name, store, metrics, path, missing.Sha256!.Value, null, flushToDisk: true, TimeSpan.FromSeconds(options.TransferIdleSeconds), time, cancellationToken).ConfigureAwait(false);
                var healed = await store.HealAsync(path, partial, missing.Sha256!.Value, cancellationToken).ConfigureAwait(false);
                if (healed.Outcome != HealOutcome.Blocked)
                {
                    return;
                }
                // Other sources have the same good bytes: the obstacle is here, not there.
                stuck = healed.Detail;
                break;
            }
            catch (Exception e) when (e is TransferFailedException or IOException or UnauthorizedAccessException or HttpRequestException)
            {
                failures.Add($"{name}: {e.Message}");
            }
        }
        var wait = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, missing.Attempts), options.RetryMaxSeconds));
        var reason = stuck ?? "no good copy found yet: " + (failures.Count == 0 ? "no other node to heal from (no upstream, no coordinator)" : string.Join("; ", failures));
        var recorded = $"{LibraryStore.CorruptReason}: {reason}";
        await store.RecordMissingAsync(path.Value, missing.Version, missing.Sha256, recorded, time.GetUtcNow() + wait, cancellationToken).ConfigureAwait(false);
        if (recorded != missing.Reason)
        {
            // Said when the reason changes, not at every retry of the same one.
            Log.HealFailed(logger, path.Value, reason, wait.TotalSeconds);
        }
    }

    /// <summary>The upstream, then every other node the coordinator knows (down ones last: they may still serve).</summary>
    private async Task<IReadOnlyList<(string Name, string Url)>> SourcesAsync(List<string> failures, CancellationToken cancellationToken)
    {
        var sources = new List<(string, string)>();
        if (options.Upstream is { } upstream)
        {
            sources.Add(("upstream", upstream));
        }
        if (options.Coordinator is { } coordinator)
        {
            try
            {
                using var http = cluster.Create(new Uri(coordinator), TimeSpan.FromSeconds(10));
                var self = options.Id ?? store.Catalog.NodeId;
                var nodes = await new CoordinatorClient(http).GetNodesAsync(cancellationToken).ConfigureAwait(false);
                sources.AddRange(nodes
                    .Where(n => n.Id != self && !string.Equals(n.Url.TrimEnd('/'), options.Upstream?.TrimEnd('/'), StringComparison.Ordinal))
                    .OrderBy(n => n.State == "down")
                    .Select(n => (n.Id, n.Url)));
            }
            catch (Exception e) when (e is HttpRequestException or MediaFleetException or TaskCanceledException)
            {
                failures.Add($"coordinator: {e.Message}");
            }
        }
        return sources;
    }
}
