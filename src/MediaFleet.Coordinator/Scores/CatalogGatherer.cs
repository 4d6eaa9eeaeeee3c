using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;
using MediaFleet.Hosting;
using MediaFleet.Coordinator.Events;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Scores;

/// <summary>One node's copies as last fetched from its <c>GET /v1/catalog</c>, and where to ask from next time.</summary>
internal sealed record NodeCatalog(string NodeId, Dictionary<string, CopyDto> Copies, string Epoch, long Sequence, DateTimeOffset FetchedAt);

/// <summary>
/// Fetches every known node's catalog (copy health) for the preservation score, incrementally: after the first whole
/// listing only the copies that changed come over. A node that cannot be reached keeps its last catalog: its liveness,
/// not a failed fetch, decides what its copies are worth. A copy that turned corrupt since the last gathering (the node
/// quarantined it) or good again (the node healed it) is kept among the recent events.
/// </summary>
internal sealed class CatalogGatherer(ServerRegistry registry, ClusterHttp cluster, RecentEvents events, TimeProvider time, ILogger<CatalogGatherer> logger)
{
    /// <summary>Events of one kind per node and gathering beyond this are summed up in one: a failed disk is one story.</summary>
    internal const int EventsPerKind = 5;

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
                var changes = new CopyChanges(node.Id);
                foreach (var copy in page.Copies)
                {
                    if (known is not null)
                    {
                        // Read before the copy is replaced: an incremental page updates the known dictionary in place.
                        changes.Compare(known.Copies.GetValueOrDefault(copy.Path)?.State, copy);
                    }
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
                changes.Report(events);
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

    /// <summary>The quarantines and heals one page of a node's catalog shows, against the copies known before it.</summary>
    internal sealed class CopyChanges(string nodeId)
    {
        private readonly List<string> _quarantined = [];
        private readonly List<string> _healed = [];

        public void Compare(string? before, CopyDto after)
        {
            if (after.State == "corrupt" && before != "corrupt")
            {
                _quarantined.Add(after.Path);
            }
            else if (before == "corrupt" && after.State == "ok")
            {
                _healed.Add(after.Path);
            }
        }

        public void Report(RecentEvents events)
        {
            Report(events, EventKind.Quarantine, _quarantined, path => $"corrupt copy of {path} quarantined", "copies quarantined");
            Report(events, EventKind.Heal, _healed, path => $"{path} healed: its copy is good again", "copies healed");
        }

        private void Report(RecentEvents events, EventKind kind, List<string> paths, Func<string, string> one, string many)
        {
            foreach (var path in paths.Take(EventsPerKind))
            {
                events.Add(kind, nodeId, one(path));
            }
            if (paths.Count > EventsPerKind)
            {
                events.Add(kind, nodeId, $"and {paths.Count - EventsPerKind} more {many}");
            }
        }
    }
}
