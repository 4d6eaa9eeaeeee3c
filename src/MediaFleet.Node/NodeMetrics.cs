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
    private readonly Counter<long> _transfers;
    private readonly Counter<long> _transferBytes;
    private readonly Counter<long> _resumed;
    private readonly Counter<long> _kept;
    private readonly Counter<long> _keptBytes;
    private readonly Counter<long> _localCopies;
    private readonly Counter<long> _localMoves;
    private readonly Counter<long> _bundles;

    // Every instrument carries the node id: alerts name the server, and several nodes in one process (tests, the demo)
    // share listeners.
    private readonly KeyValuePair<string, object?> _node;

    public NodeMetrics(IMeterFactory meters, LibraryStore store, MediaFleet.Node.Configuration.NodeOptions options, Integrity.ScrubProgress scrub)
    {
        _node = new KeyValuePair<string, object?>("node", options.Id ?? store.Catalog.NodeId);
        _meter = meters.Create(MeterName);
        _bytesServed = _meter.CreateCounter<long>("mfleet.files.served.bytes", "By", "Bytes sent by GET /files");
        _filesServed = _meter.CreateCounter<long>("mfleet.files.served", "{file}", "Answers of GET /files with a body");
        _bytesStored = _meter.CreateCounter<long>("mfleet.files.stored.bytes", "By", "Bytes installed by PUT /files");
        _writes = _meter.CreateCounter<long>("mfleet.writes", "{write}", "Accepted writes by outcome");
        _rejectedPaths = _meter.CreateCounter<long>("mfleet.paths.rejected", "{request}", "Requests refused for an invalid path");
        _transfers = _meter.CreateCounter<long>("mfleet.replication.transfers", "{file}", "Files fetched from upstream, verified and installed");
        _transferBytes = _meter.CreateCounter<long>("mfleet.replication.transfer.bytes", "By", "Bytes received from upstream");
        _resumed = _meter.CreateCounter<long>("mfleet.replication.resumed", "{transfer}", "Transfers resumed with Range + If-Range");
        _kept = _meter.CreateCounter<long>("mfleet.replication.kept", "{file}", "Files found on disk with the right digest while provisioning, kept without a transfer");
        _keptBytes = _meter.CreateCounter<long>("mfleet.replication.kept.bytes", "By", "Bytes kept without a transfer while provisioning");
        _localCopies = _meter.CreateCounter<long>("mfleet.replication.local.copies", "{file}", "Puts served by copying a file held here with the same digest");
        _localMoves = _meter.CreateCounter<long>("mfleet.replication.local.moves", "{file}", "Moves applied as local renames");
        _bundles = _meter.CreateCounter<long>("mfleet.replication.bundles", "{bundle}", "Answers of POST /v1/bundle (many small files each) read from upstream");
        _meter.CreateObservableGauge("mfleet.data.seen_version", () => new Measurement<long>(store.Catalog.SeenVersion.Value, _node), "{version}", "Highest version seen from upstream");
        _meter.CreateObservableGauge("mfleet.missing", () => new Measurement<long>(store.Catalog.MissingCount, _node), "{file}", "Files this node should hold and does not yet");
        _meter.CreateObservableGauge("mfleet.data.version", () => new Measurement<long>(store.Catalog.Version.Value, _node), "{version}", "Every change up to this version is applied");
        _meter.CreateObservableGauge("mfleet.library.files", () => new Measurement<long>(store.Catalog.FileCount, _node), "{file}", "Files in the catalog");
        _meter.CreateObservableCounter("mfleet.scrub.checked", () => new Measurement<long>(scrub.Checked, _node), "{file}", "Copies re-hashed by the scrub and verify");
        _meter.CreateObservableCounter("mfleet.scrub.bad", () => new Measurement<long>(scrub.Bad, _node), "{file}", "Copies found bad and quarantined");
        _meter.CreateObservableCounter("mfleet.scrub.read.bytes", () => new Measurement<long>(scrub.Bytes, _node), "By", "Bytes read by the scrub and verify");
        _meter.CreateObservableGauge("mfleet.library.bytes", () => new Measurement<long>(store.Catalog.TotalBytes, _node), "By", "Bytes in the catalog");
    }

    public void Served(long bytes)
    {
        _bytesServed.Add(bytes, _node);
        _filesServed.Add(1, _node);
    }

    public void Stored(long bytes, WriteStatus status)
    {
        if (status != WriteStatus.Unchanged)
        {
            _bytesStored.Add(bytes, _node);
        }
        _writes.Add(1, _node, new KeyValuePair<string, object?>("outcome", status.ToString().ToLowerInvariant()));
    }

    public void Rejected() => _rejectedPaths.Add(1, _node);

    public void Transferred(int bytes) => _transferBytes.Add(bytes, _node);

    public void Fetched() => _transfers.Add(1, _node);

    public void Resumed() => _resumed.Add(1, _node);

    public void LocalCopy() => _localCopies.Add(1, _node);

    public void LocalMove() => _localMoves.Add(1, _node);

    public void Bundle() => _bundles.Add(1, _node);

    public void Kept(long bytes)
    {
        _kept.Add(1, _node);
        _keptBytes.Add(bytes, _node);
    }

    public void Dispose() => _meter.Dispose();
}
