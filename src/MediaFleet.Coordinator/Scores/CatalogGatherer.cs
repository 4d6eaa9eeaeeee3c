using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;
using MediaFleet.Hosting;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Scores;

/// <summary>One node's copies as last fetched from its <c>GET /v1/catalog</c>, and where to ask from next time.</summary>
internal sealed record NodeCatalog(string NodeId, Dictionary<string, CopyDto> Copies, string Epoch, long Sequence, DateTimeOffset FetchedAt);

/// <summary>
/// Fetches every known node's catalog (copy health) for the preservation score, incrementally: after the first whole
/// listing only the copies that changed come over. A node that cannot be reached keeps its last catalog: its liveness,
/// not a failed fetch, decides what its copies are worth.
/// </summary>
internal sealed class CatalogGatherer(ServerRegistry registry, ClusterHttp cluster, TimeProvider time, ILogger<CatalogGatherer> logger)
{
    private readonly Dictionary<string, NodeCatalog> _catalogs = new(StringComparer.Ordinal);

    // The kinds of failure each failing node has shown since it last answered: each is logged once, however the
    // node's failures alternate (a reset before or after the headers), until it recovers.
    private readonly Dictionary<string, HashSet<string>> _failing = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public IReadOnlyDictionary<string, NodeCatalog> Catalogs
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, NodeCatalog>(_catalogs, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Fetches the catalogs of every node heard from, in parallel.</summary>
    public async Task GatherAsync(CancellationToken cancellationToken)
    {
        var nodes = registry.Snapshot().Where(s => !s.Last.Seed && (s.State != ServerState.Down || s.Reason != "silent")).Select(s => s.Last).ToList();
        await Parallel.ForEachAsync(nodes, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (node, ct) =>
        {
            try
            {
                using var http = cluster.Create(new Uri(node.Url), TimeSpan.FromMinutes(5));
                NodeCatalog? known;
                lock (_gate)
                {
                    known = _catalogs.GetValueOrDefault(node.Id);
                }
                var page = await new NodeClient(http).GetCatalogAsync(known?.Sequence ?? 0, known?.Epoch, ct).ConfigureAwait(false);
                // Scoring reads the copies only between gatherings, so an incremental page is applied in place.
                var copies = page.Full || known is null ? new Dictionary<string, CopyDto>(StringComparer.Ordinal) : known.Copies;
                foreach (var copy in page.Copies)
                {
                    if (copy.State == "deleted")
                    {
                        copies.Remove(copy.Path);
                    }
                    else
                    {
                        copies[copy.Path] = copy;
                    }
                }
                bool recovered;
                lock (_gate)
                {
                    _catalogs[node.Id] = new NodeCatalog(node.Id, copies, page.Epoch, page.Sequence, time.GetUtcNow());
                    recovered = _failing.Remove(node.Id);
                }
                if (recovered)
                {
                    Log.CatalogFetchRecovered(logger, node.Id);
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Whatever one node answers (garbage, a reset, a bug of ours on its lines), the others are still scored.
                var reason = $"{e.GetType().Name}: {e.Message}";
                bool isNew;
                lock (_gate)
                {
                    if (!_failing.TryGetValue(node.Id, out var kinds))
                    {
                        _failing[node.Id] = kinds = new HashSet<string>(StringComparer.Ordinal);
                    }
                    isNew = kinds.Add(LoopGuard.Kind(e));
                }
                if (isNew)
                {
                    Log.CatalogFetchFailed(logger, node.Id, reason);
                }
            }
        }).ConfigureAwait(false);
    }
}
