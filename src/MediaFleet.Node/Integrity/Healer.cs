using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Hosting;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Node.Configuration;
using MediaFleet.Node.Replication;

namespace MediaFleet.Node.Integrity;

/// <summary>
/// Heals quarantined copies (DESIGN.md section 7): good bytes from the upstream first, else from any node the
/// coordinator lists (how the primary heals from its followers), installing only bytes whose SHA-256 equals the
/// catalog's. When no source has them the copy stays listed missing with the reasons, retried with back-off.
/// </summary>
internal sealed class Healer(LibraryStore store, NodeOptions options, AuthOptions auth, NodeMetrics metrics, RepairList repairs, TimeProvider time, ILogger<Healer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
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
    }

    private async Task HealAsync(LibraryPath path, MissingEntry missing, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var (name, url) in await SourcesAsync(failures, cancellationToken).ConfigureAwait(false))
        {
            using var http = NodeClient.CreateHttp(new Uri(url), auth.Token);
            try
            {
                var partial = await PeerFetch.FetchAsync(http, name, store, metrics, path, missing.Sha256!.Value, null, TimeSpan.FromSeconds(options.TransferIdleSeconds), time, cancellationToken).ConfigureAwait(false);
                await store.HealAsync(path, partial, missing.Sha256!.Value, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (TransferFailedException e)
            {
                failures.Add(e.Message);
            }
        }
        var wait = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, missing.Attempts), options.RetryMaxSeconds));
        var reason = failures.Count == 0 ? "no other node to heal from (no upstream, no coordinator)" : string.Join("; ", failures);
        await store.RecordMissingAsync(path.Value, missing.Version, missing.Sha256, $"{LibraryStore.CorruptReason}: no good copy found yet: {reason}", time.GetUtcNow() + wait, cancellationToken).ConfigureAwait(false);
        Log.HealFailed(logger, path.Value, reason, wait.TotalSeconds);
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
                using var http = CoordinatorClient.CreateHttp(new Uri(coordinator), auth.Token, TimeSpan.FromSeconds(10));
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
