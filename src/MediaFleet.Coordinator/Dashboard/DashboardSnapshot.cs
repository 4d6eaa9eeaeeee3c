using MediaFleet.Contracts.Coordinator;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.Events;
using MediaFleet.Coordinator.Nginx;
using MediaFleet.Coordinator.Scores;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Dashboard;

/// <summary>
/// Gathers <c>GET /v1/dashboard</c>: the servers, the score, the recent events, nginx and the broker's queue. It reads
/// only; time moves the states forward in the registry as it does for <c>/v1/nodes</c>.
/// </summary>
internal sealed class DashboardSnapshot(
    ServerRegistry registry,
    ScoreKeeper scores,
    RecentEvents events,
    CoordinatorOptions options,
    CoordinatorApp.ListenEndpoints endpoints,
    TimeProvider time,
    IServiceProvider services)
{
    /// <summary>The files at risk listed by name; the page says how many more there are.</summary>
    public const int AtRiskListed = 20;

    public async Task<DashboardDto> TakeAsync(CancellationToken cancellationToken)
    {
        var broker = services.GetService<BrokerQueueView>() is { } queue ? await queue.GetAsync(cancellationToken).ConfigureAwait(false) : null;
        var servers = registry.Snapshot();
        var primary = registry.TrustedPrimaryId;
        var now = time.GetUtcNow();
        var (primaryVersion, seedPrimaryVersion) = registry.PrimaryVersionsNow;
        var coordinator = new DashboardCoordinatorDto(registry.StartedAt, registry.GraceOver, primary, primaryVersion, registry.PrimaryConflict,
            options.HeartbeatInterval, options.SilenceLimit.TotalSeconds, endpoints.ProxyUrl);
        return new DashboardDto(
            now,
            coordinator,
            Nodes(servers, primaryVersion, seedPrimaryVersion, now),
            scores.DescribeForDashboard(AtRiskListed),
            [.. events.Newest().Select(e => new EventDto(e.At, RecentEvents.Name(e.Kind), e.Server, e.Text))],
            services.GetService<NginxFileKeeper>()?.Describe(),
            broker);
    }

    /// <summary>
    /// The servers as the page shows them: lag is how many versions a node is behind the trusted primary (0 when it is
    /// level or has heard of a change first), unknown without a primary. A server still on the old heartbeat daemon
    /// counts versions in its numbering, so its lag is against the old daemon's primary.
    /// </summary>
    public static IReadOnlyList<DashboardNodeDto> Nodes(IReadOnlyList<ServerView> servers, long? primaryVersion, long? seedPrimaryVersion, DateTimeOffset now) =>
    [
        .. servers.Select(view =>
        {
            var h = view.Last;
            return new DashboardNodeDto(h.Id, h.Address, h.Url, ServerRegistry.Name(view.State), view.Reason, h.Load, h.Version,
                ServerStateRules.Lag(h, primaryVersion, seedPrimaryVersion), h.Primary, h.ForceDown, h.ForceBackup,
                h.Site.Length == 0 ? null : h.Site, h.Missing, h.FreeBytes, h.ReceivedAt, Math.Max(0, (now - h.ReceivedAt).TotalSeconds), h.Seed);
        }),
    ];
}
