using System.Diagnostics.Metrics;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Hosting;

namespace MediaFleet.Conversion.Broker;

/// <summary>The broker's instruments, exported at <c>/metrics</c>: jobs by state, the queue, leases, encode time and jobs ended.</summary>
internal sealed class BrokerMetrics : IDisposable
{
    public const string MeterName = "MediaFleet.Broker";

    private readonly Meter _meter;
    private readonly Histogram<double> _encodeSeconds;
    private readonly CountsByLabel _ended = new("state", JobStates.Succeeded, JobStates.Failed, JobStates.Cancelled);

    public BrokerMetrics(IMeterFactory meters, JobStore store)
    {
        _meter = meters.Create(MeterName);
        _meter.CreateObservableGauge("mfleet.broker.jobs", () => store.CountByState()
            .Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("state", c.Key))),
            "{job}", "Jobs by state");
        _meter.CreateObservableGauge("mfleet.broker.queue", () => store.CountByState()[JobStates.Queued], "{job}", "Jobs waiting for a worker");
        _meter.CreateObservableGauge("mfleet.broker.leases", () => store.CountByState()[JobStates.Running], "{lease}", "Jobs leased to a worker");
        _encodeSeconds = _meter.CreateHistogram<double>("mfleet.broker.encode.duration", "s", "From lease to a checked output, per succeeded job");
        _meter.CreateObservableCounter("mfleet.broker.jobs.ended", _ended.Measurements, "{job}", "Jobs that reached a final state since the broker started, by that state");
    }

    public void Encoded(TimeSpan took) => _encodeSeconds.Record(took.TotalSeconds);

    /// <summary>A job reached <paramref name="state"/> (succeeded, failed or cancelled).</summary>
    public void Ended(string state) => _ended.Add(state);

    public void Dispose() => _meter.Dispose();
}
