using System.Diagnostics.Metrics;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator;

/// <summary>The coordinator's instruments, exported at <c>/metrics</c> by the OpenTelemetry Prometheus exporter.</summary>
internal sealed class CoordinatorMetrics : IDisposable
{
    public const string MeterName = "MediaFleet.Coordinator";

    private readonly Meter _meter;
    private readonly Counter<long> _heartbeats;
    private readonly Counter<long> _nginx;

    public CoordinatorMetrics(IMeterFactory meters, ServerRegistry registry, Scores.ScoreKeeper scores)
    {
        _meter = meters.Create(MeterName);
        _heartbeats = _meter.CreateCounter<long>("mfleet.coordinator.heartbeats", "{heartbeat}", "Heartbeats received, by result");
        _nginx = _meter.CreateCounter<long>("mfleet.coordinator.nginx", "{event}", "nginx file writes, reloads and failed tests");
        _meter.CreateObservableGauge("mfleet.coordinator.servers", () => registry.Snapshot()
            .GroupBy(s => s.State)
            .Select(g => new Measurement<long>(g.Count(), new KeyValuePair<string, object?>("state", ServerRegistry.Name(g.Key)))),
            "{server}", "Servers by published state");
        _meter.CreateObservableGauge("mfleet.score.collection", () => scores.Gauges() is { } g ? [new Measurement<double>(g.Collection)] : Array.Empty<Measurement<double>>(),
            "{score}", "The collection's preservation score: its worst file's (DESIGN.md section 9)");
        _meter.CreateObservableGauge("mfleet.score.server", () => scores.Gauges() is { } g
                ? g.Servers.Select(s => new Measurement<double>(s.Value, new KeyValuePair<string, object?>("node", s.Key)))
                : [],
            "{score}", "Each server's preservation score: its worst copy's");
    }

    public void Heartbeat(bool accepted) => _heartbeats.Add(1, new KeyValuePair<string, object?>("result", accepted ? "accepted" : "refused"));

    public void Nginx(string what) => _nginx.Add(1, new KeyValuePair<string, object?>("event", what));

    public void Dispose() => _meter.Dispose();
}
