using MediaFleet.Contracts.Client;
using MediaFleet.Hosting;
using MediaFleet.Node.Configuration;

namespace MediaFleet.Node.Integrity;

/// <summary>
/// The files the coordinator's preservation score wants repaired (below <c>RepairBelow</c>, DESIGN.md section 9), asked
/// every half minute: the healer and a follower's retries take their copies first, the scrub their due copies.
/// Empty without a coordinator or while it cannot be asked.
/// </summary>
public sealed class RepairList
{
    private volatile IReadOnlySet<string> _paths = new HashSet<string>();

    public IReadOnlySet<string> Paths => _paths;

    /// <summary>Items in <paramref name="items"/> whose path is on the list first, each part in its own order.</summary>
    public IReadOnlyList<T> First<T>(IEnumerable<T> items, Func<T, string> path)
    {
        var paths = _paths;
        var list = items.ToList();
        return paths.Count == 0 ? list : [.. list.Where(i => paths.Contains(path(i))), .. list.Where(i => !paths.Contains(path(i)))];
    }

    internal void Replace(IReadOnlySet<string> paths) => _paths = paths;
}

/// <summary>Keeps <see cref="RepairList"/> fresh from the coordinator's <c>GET /v1/score/files</c>.</summary>
internal sealed class RepairListRefresher(RepairList list, NodeOptions options, ClusterHttp cluster, TimeProvider time, ILogger<RepairListRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Coordinator is not { } coordinator)
        {
            return;
        }
        using var http = cluster.Create(new Uri(coordinator), TimeSpan.FromSeconds(30));
        var client = new CoordinatorClient(http);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30), time);
        var health = new LoopGuard(logger, "repair-list refresh");
        do
        {
            try
            {
                var files = await client.GetFilesBelowAsync(null, stoppingToken).ConfigureAwait(false);
                list.Replace(files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal));
                health.Succeeded();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The coordinator may be restarting; the last list stands until it answers again. The period is the
                // back-off already: one try per tick.
                health.Failed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
