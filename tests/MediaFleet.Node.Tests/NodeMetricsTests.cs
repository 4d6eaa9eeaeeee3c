using System.Diagnostics.Metrics;
using MediaFleet.Library.Store;
using MediaFleet.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MediaFleet.Node.Tests;

public sealed class NodeMetricsTests
{
    /// <summary>
    /// The node's meter provider is built after the node starts (issue 12), so a follower's first transfers happen
    /// before anything listens: what was counted then must still be there when a listener comes.
    /// </summary>
    [Fact]
    public async Task Counters_CountWhatHappenedBeforeAnyListenerSubscribed()
    {
        await using var node = await TestNode.StartAsync();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var metrics = ActivatorUtilities.CreateInstance<NodeMetrics>(node.Services, meters);
        metrics.Served(4096);
        metrics.Served(100);
        metrics.Fetched();
        metrics.Stored(10, WriteStatus.Created);
        metrics.Stored(20, WriteStatus.Unchanged);
        metrics.Kept(7);

        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var name = instrument.Name;
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    name += "/" + tag.Value;
                }
            }
            seen[name] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(4196, seen["mfleet.files.served.bytes"]);
        Assert.Equal(2, seen["mfleet.files.served"]);
        Assert.Equal(1, seen["mfleet.replication.transfers"]);
        Assert.Equal(10, seen["mfleet.files.stored.bytes"]);
        Assert.Equal(1, seen["mfleet.writes/created"]);
        Assert.Equal(1, seen["mfleet.writes/unchanged"]);
        Assert.Equal(0, seen["mfleet.writes/deleted"]);
        Assert.Equal(1, seen["mfleet.replication.kept"]);
        Assert.Equal(7, seen["mfleet.replication.kept.bytes"]);
    }
}
