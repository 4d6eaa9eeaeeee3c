using System.Diagnostics.Metrics;
using MediaFleet.Library.Store;

namespace MediaFleet.Node;

/// <summary>
/// The node's own instruments, exported at <c>/metrics</c> by the OpenTelemetry Prometheus exporter. The counters are
/// observable, kept in fields here: the meter provider is built by the first scrape (RoleMetrics.Add with buildOnFirstScrape,
/// issue 12), and a <see cref="Counter{T}"/> drops what it is given while no listener is subscribed, so the transfers of
/// a follower's first catch-up would be missing. Every counter reads from 0 at the first scrape.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "MediaFleet.Node";

    private static readonly WriteStatus[] Outcomes = Enum.GetValues<WriteStatus>();

    private readonly Meter _meter;
    private long _bytesServed;
    private long _filesServed;
    private long _bytesStored;
    private readonly long[] _writes = new long[Outcomes.Length];
    private readonly KeyValuePair<string, object?>[] _outcomes;
    private long _rejectedPaths;
    private long _transfers;
    private long _transferBytes;
    private long _resumed;
    private long _kept;
    private long _keptBytes;
    private long _localCopies;
    private long _localMoves;
    private long _bundles;

    // Every instrument carries the node id: alerts name the server, and several nodes in one process (tests, the demo)
    // share listeners.
    private readonly KeyValuePair<string, object?> _node;

    public NodeMetrics(IMeterFactory meters, LibraryStore store, MediaFleet.Node.Configuration.NodeOptions options, Integrity.ScrubProgress scrub)
    {
        _node = new KeyValuePair<string, object?>("node", options.Id ?? store.Catalog.NodeId);
        _outcomes = [.. Outcomes.Select(o => new KeyValuePair<string, object?>("outcome", o.ToString().ToLowerInvariant()))];
        _meter = meters.Create(MeterName);
        Counter("mfleet.files.served.bytes", () => Interlocked.Read(ref _bytesServed), "By", "Bytes sent by GET /files");
        Counter("mfleet.files.served", () => Interlocked.Read(ref _filesServed), "{file}", "Answers of GET /files with a body");
        Counter("mfleet.files.stored.bytes", () => Interlocked.Read(ref _bytesStored), "By", "Bytes installed by PUT /files");
        _meter.CreateObservableCounter("mfleet.writes", WritesByOutcome, "{write}", "Accepted writes by outcome");
        Counter("mfleet.paths.rejected", () => Interlocked.Read(ref _rejectedPaths), "{request}", "Requests refused for an invalid path");
        Counter("mfleet.replication.transfers", () => Interlocked.Read(ref _transfers), "{file}", "Files fetched from upstream, verified and installed");
        Counter("mfleet.replication.transfer.bytes", () => Interlocked.Read(ref _transferBytes), "By", "Bytes received from upstream");
        Counter("mfleet.replication.resumed", () => Interlocked.Read(ref _resumed), "{transfer}", "Transfers resumed with Range + If-Range");
        Counter("mfleet.replication.kept", () => Interlocked.Read(ref _kept), "{file}", "Files found on disk with the right digest while provisioning, kept without a transfer");
        Counter("mfleet.replication.kept.bytes", () => Interlocked.Read(ref _keptBytes), "By", "Bytes kept without a transfer while provisioning");
        Counter("mfleet.replication.local.copies", () => Interlocked.Read(ref _localCopies), "{file}", "Puts served by copying a file held here with the same digest");
        Counter("mfleet.replication.local.moves", () => Interlocked.Read(ref _localMoves), "{file}", "Moves applied as local renames");
        Counter("mfleet.replication.bundles", () => Interlocked.Read(ref _bundles), "{bundle}", "Answers of POST /v1/bundle (many small files each) read from upstream");
        _meter.CreateObservableGauge("mfleet.data.seen_version", () => new Measurement<long>(store.Catalog.SeenVersion.Value, _node), "{version}", "Highest version seen from upstream");
        _meter.CreateObservableGauge("mfleet.missing", () => new Measurement<long>(store.Catalog.MissingCount, _node), "{file}", "Files this node should hold and does not yet");
        _meter.CreateObservableGauge("mfleet.data.version", () => new Measurement<long>(store.Catalog.Version.Value, _node), "{version}", "Every change up to this version is applied");
        _meter.CreateObservableGauge("mfleet.library.files", () => new Measurement<long>(store.Catalog.FileCount, _node), "{file}", "Files in the catalog");
        _meter.CreateObservableCounter("mfleet.scrub.checked", () => new Measurement<long>(scrub.Checked, _node), "{file}", "Copies re-hashed by the scrub and verify");
        _meter.CreateObservableCounter("mfleet.scrub.bad", () => new Measurement<long>(scrub.Bad, _node), "{file}", "Copies found bad and quarantined");
        _meter.CreateObservableCounter("mfleet.scrub.read.bytes", () => new Measurement<long>(scrub.Bytes, _node), "By", "Bytes read by the scrub and verify");
        _meter.CreateObservableGauge("mfleet.library.bytes", () => new Measurement<long>(store.Catalog.TotalBytes, _node), "By", "Bytes in the catalog");
    }

    private void Counter(string name, Func<long> read, string unit, string description) =>
        _meter.CreateObservableCounter(name, () => new Measurement<long>(read(), _node), unit, description);

    private IEnumerable<Measurement<long>> WritesByOutcome()
    {
        for (var i = 0; i < _writes.Length; i++)
        {
            yield return new Measurement<long>(Interlocked.Read(ref _writes[i]), _node, _outcomes[i]);
        }
    }

    public void Served(long bytes)
    {
        Interlocked.Add(ref _bytesServed, bytes);
        Interlocked.Increment(ref _filesServed);
    }

    public void Stored(long bytes, WriteStatus status)
    {
        if (status != WriteStatus.Unchanged)
        {
            Interlocked.Add(ref _bytesStored, bytes);
        }
        Interlocked.Increment(ref _writes[(int)status]); // WriteStatus has the default values 0..n-1
    }

    public void Rejected() => Interlocked.Increment(ref _rejectedPaths);

    public void Transferred(int bytes) => Interlocked.Add(ref _transferBytes, bytes);

    public void Fetched() => Interlocked.Increment(ref _transfers);

    public void Resumed() => Interlocked.Increment(ref _resumed);

    public void LocalCopy() => Interlocked.Increment(ref _localCopies);

    public void LocalMove() => Interlocked.Increment(ref _localMoves);

    public void Bundle() => Interlocked.Increment(ref _bundles);

    public void Kept(long bytes)
    {
        Interlocked.Increment(ref _kept);
        Interlocked.Add(ref _keptBytes, bytes);
    }

    public void Dispose() => _meter.Dispose();
}
