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

    public CoordinatorMetrics(IMeterFactory meters, ServerRegistry registry)
    {
        _meter = meters.Create(MeterName);
        _heartbeats = _meter.CreateCounter<long>("mfleet.coordinator.heartbeats", "{heartbeat}", "Heartbeats received, by result");
        _nginx = _meter.CreateCounter<long>("mfleet.coordinator.nginx", "{event}", "nginx file writes, reloads and failed tests");
        _meter.CreateObservableGauge("mfleet.coordinator.servers", () => registry.Snapshot()
            .GroupBy(s => s.State)
            .Select(g => new Measurement<long>(g.Count(), new KeyValuePair<string, object?>("state", ServerRegistry.Name(g.Key)))),
            "{server}", "Servers by published state");
    }

    public void Heartbeat(bool accepted) => _heartbeats.Add(1, new KeyValuePair<string, object?>("result", accepted ? "accepted" : "refused"));

    public void Nginx(string what) => _nginx.Add(1, new KeyValuePair<string, object?>("event", what));

    public void Dispose() => _meter.Dispose();
}
