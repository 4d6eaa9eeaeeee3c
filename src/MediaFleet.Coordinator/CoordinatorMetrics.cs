using System.Diagnostics.Metrics;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.States;
using MediaFleet.Hosting;

namespace MediaFleet.Coordinator;

/// <summary>
/// The coordinator's instruments, exported at <c>/metrics</c> by the OpenTelemetry Prometheus exporter. The per-server
/// gauges carry <c>node</c> and <c>site</c>: the coordinator sees every server, also one that is down and cannot be
/// scraped itself, so alerts that name a server are built on them (deploy/prometheus/alerts.yml).
/// </summary>
internal sealed class CoordinatorMetrics : IDisposable
{
    public const string MeterName = "MediaFleet.Coordinator";

    /// <summary>The <c>event</c> values of <c>mfleet.coordinator.nginx</c>.</summary>
    public const string NginxWritten = "written";
    public const string NginxReloaded = "reloaded";
    public const string NginxTestFailed = "test_failed";
    public const string NginxReloadFailed = "reload_failed";

    private static readonly ServerState[] States = [ServerState.Up, ServerState.Backup, ServerState.Down];

    private readonly Meter _meter;
    private readonly CountsByLabel _heartbeats = new("result", "accepted", "refused");
    private readonly CountsByLabel _nginx;

    public CoordinatorMetrics(IMeterFactory meters, ServerRegistry registry, Scores.ScoreKeeper scores, CoordinatorOptions options)
    {
        _meter = meters.Create(MeterName);
        _nginx = options.NginxConf is null ? new("event") : new("event", NginxWritten, NginxReloaded, NginxTestFailed, NginxReloadFailed);
        _meter.CreateObservableCounter("mfleet.coordinator.heartbeats", _heartbeats.Measurements, "{heartbeat}", "Heartbeats received, by result");
        _meter.CreateObservableCounter("mfleet.coordinator.nginx", _nginx.Measurements, "{event}", "nginx file writes, reloads, failed tests and failed reloads");
        _meter.CreateObservableGauge("mfleet.coordinator.servers", () => registry.Snapshot()
            .GroupBy(s => s.State)
            .Select(g => new Measurement<long>(g.Count(), new KeyValuePair<string, object?>("state", ServerRegistry.Name(g.Key)))),
            "{server}", "Servers by published state");
        // One series per server and state, 1 for the state it is in (a Prometheus state set): a change of state moves a
        // value, it never starts a series that an alert's "for" would first have to see for a while.
        _meter.CreateObservableGauge("mfleet.coordinator.server.state", () => registry.Snapshot()
            .SelectMany(s => States.Select(state => new Measurement<long>(s.State == state ? 1 : 0,
                ServerTags(s.Last, new KeyValuePair<string, object?>("state", ServerRegistry.Name(state)))))),
            "{server}", "1 for the state each server is published in (up, backup, down), 0 for the others");
        _meter.CreateObservableGauge("mfleet.coordinator.server.lag", () => Lag(registry),
            "{version}", "Data versions each server is behind its primary's last heartbeat (an old daemon's behind the old primary; absent while no primary is heard)");
        // The old daemon's packets (--seed-heartbeats) say nothing of missing files or free space: no series, not a 0.
        _meter.CreateObservableGauge("mfleet.coordinator.server.missing", () => registry.Snapshot()
                .Where(s => !s.Last.Seed)
                .Select(s => new Measurement<long>(s.Last.Missing, ServerTags(s.Last))),
            "{file}", "Files each server should hold and does not yet, as its last heartbeat said");
        _meter.CreateObservableGauge("mfleet.coordinator.server.free", () => registry.Snapshot()
                .Where(s => !s.Last.Seed)
                .Select(s => new Measurement<long>(s.Last.FreeBytes, ServerTags(s.Last))),
            "By", "Free bytes on each server's library disk, as its last heartbeat said");
        _meter.CreateObservableGauge("mfleet.score.collection", () => scores.Gauges() is { } g ? [new Measurement<double>(g.Collection)] : Array.Empty<Measurement<double>>(),
            "{score}", "The collection's preservation score: its worst file's (DESIGN.md section 9)");
        _meter.CreateObservableGauge("mfleet.score.server", () => scores.Gauges() is { } g
                ? g.Servers.Select(s => new Measurement<double>(s.Value, new KeyValuePair<string, object?>("node", s.Key)))
                : [],
            "{score}", "Each server's preservation score: its worst copy's");
    }

    public void Heartbeat(bool accepted) => _heartbeats.Add(accepted ? "accepted" : "refused");

    /// <summary>Counts an nginx event: <see cref="NginxWritten"/>, <see cref="NginxReloaded"/>, … .</summary>
    public void Nginx(string what) => _nginx.Add(what);

    public void Dispose() => _meter.Dispose();

    /// <summary>
    /// Each server's versions behind its primary: a MediaFleet node's behind the trusted primary, an old daemon's
    /// (--seed-heartbeats) behind the old daemon's primary, since the two numberings are not comparable.
    /// </summary>
    private static IEnumerable<Measurement<long>> Lag(ServerRegistry registry)
    {
        var (primary, seed) = registry.PrimaryVersionsNow;
        return registry.Snapshot()
            .Select(s => (s.Last, Lag: ServerStateRules.Lag(s.Last, primary, seed)))
            .Where(s => s.Lag is not null)
            .Select(s => new Measurement<long>(s.Lag!.Value, ServerTags(s.Last)));
    }

    private static KeyValuePair<string, object?>[] ServerTags(Heartbeat last, params KeyValuePair<string, object?>[] more) =>
        [new("node", last.Id), new("site", last.Site), .. more];
}
