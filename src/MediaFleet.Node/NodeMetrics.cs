using System.Diagnostics.Metrics;
using MediaFleet.Library.Store;

namespace MediaFleet.Node;

/// <summary>The node's own instruments, exported at <c>/metrics</c> by the OpenTelemetry Prometheus exporter.</summary>
public sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "MediaFleet.Node";

    private readonly Meter _meter;
    private readonly Counter<long> _bytesServed;
    private readonly Counter<long> _filesServed;
    private readonly Counter<long> _bytesStored;
    private readonly Counter<long> _writes;
    private readonly Counter<long> _rejectedPaths;

    public NodeMetrics(IMeterFactory meters, LibraryStore store)
    {
        _meter = meters.Create(MeterName);
        _bytesServed = _meter.CreateCounter<long>("mfleet.files.served.bytes", "By", "Bytes sent by GET /files");
        _filesServed = _meter.CreateCounter<long>("mfleet.files.served", "{file}", "Answers of GET /files with a body");
        _bytesStored = _meter.CreateCounter<long>("mfleet.files.stored.bytes", "By", "Bytes installed by PUT /files");
        _writes = _meter.CreateCounter<long>("mfleet.writes", "{write}", "Accepted writes by outcome");
        _rejectedPaths = _meter.CreateCounter<long>("mfleet.paths.rejected", "{request}", "Requests refused for an invalid path");
        _meter.CreateObservableGauge("mfleet.data.version", () => store.Catalog.Version.Value, "{version}", "Every change up to this version is applied");
        _meter.CreateObservableGauge("mfleet.library.files", () => store.Catalog.FileCount, "{file}", "Files in the catalog");
        _meter.CreateObservableGauge("mfleet.library.bytes", () => store.Catalog.TotalBytes, "By", "Bytes in the catalog");
    }

    public void Served(long bytes)
    {
        _bytesServed.Add(bytes);
        _filesServed.Add(1);
    }

    public void Stored(long bytes, WriteStatus status)
    {
        if (status != WriteStatus.Unchanged)
        {
            _bytesStored.Add(bytes);
        }
        _writes.Add(1, new KeyValuePair<string, object?>("outcome", status.ToString().ToLowerInvariant()));
    }

    public void Rejected() => _rejectedPaths.Add(1);

    public void Dispose() => _meter.Dispose();
}
