using System.Globalization;
using System.Security.Cryptography;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Testing;

namespace MediaFleet.Coordinator.Tests.Proxy;

/// <summary>
/// A coordinator with its built-in balancer and three real nodes heartbeating to it: primary "a" and followers "b" and
/// "c", all holding <see cref="FilePath"/> and all up. Node "b" may send its heartbeats through a relay that the test can
/// take away, so the coordinator stops hearing from it without being told it left.
/// </summary>
internal sealed class ProxiedCluster : IAsyncDisposable
{
    public const string FilePath = "Movies/clip.bin";

    /// <summary>
    /// Long enough that a node looks up for a while after its last heartbeat, even on a busy machine; the nodes
    /// send every 0.2 s. Nothing here waits for the grace.
    /// </summary>
    public static readonly TimeSpan DownAfter = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, TestNode> _nodes = new(StringComparer.Ordinal);
    private GatedProxy? _relay;

    private ProxiedCluster(TestCoordinator coordinator)
    {
        Coordinator = coordinator;
        Http = new HttpClient { BaseAddress = new Uri(coordinator.ProxyUrl + "/") };
    }

    public TestCoordinator Coordinator { get; }

    /// <summary>A client of the balancer, not of any node.</summary>
    public HttpClient Http { get; }

    public byte[] Content { get; } = RandomNumberGenerator.GetBytes(64 * 1024);

    public TestNode this[string id] => _nodes[id];

    public static async Task<ProxiedCluster> StartAsync(bool relayHeartbeatsOfB = false)
    {
        var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?>
        {
            ["Coordinator:Proxy"] = "http://127.0.0.1:0",
            ["Coordinator:DownAfter"] = DownAfter.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            // Real nodes report this machine's real load, which a busy build can push past the default thresholds.
            ["Coordinator:BackupThreshold"] = "1000",
            ["Coordinator:DownThreshold"] = "2000",
        });
        var cluster = new ProxiedCluster(coordinator);
        try
        {
            var primary = await TestNode.StartAsync(settings: coordinator.NodeSettings("a"));
            cluster._nodes["a"] = primary;
            var b = coordinator.NodeSettings("b");
            if (relayHeartbeatsOfB)
            {
                cluster._relay = new GatedProxy(new Uri(coordinator.Url).Port, limit: long.MaxValue);
                b["Node:Coordinator"] = cluster._relay.Url;
            }
            cluster._nodes["b"] = await TestNode.StartFollowerAsync(primary.Url, settings: b);
            cluster._nodes["c"] = await TestNode.StartFollowerAsync(primary.Url, settings: coordinator.NodeSettings("c"));

            await using (var stream = new MemoryStream(cluster.Content))
            {
                await primary.Client.PutFileAsync(FilePath, stream, cluster.Content.Length, null, CancellationToken.None);
            }
            foreach (var node in cluster._nodes.Values)
            {
                await Eventually.TrueAsync(async () => await ServesAsync(node, cluster.Content), $"{node.Url} to serve {FilePath}");
            }
            // Up on heartbeats sent after the put: one from before it would turn stale once the primary's arrives.
            var version = (await primary.Client.GetStatusAsync(CancellationToken.None)).Version;
            await Eventually.TrueAsync(async () =>
            {
                var nodes = await coordinator.Client.GetNodesAsync(CancellationToken.None);
                return nodes.Select(n => (n.Id, n.State, n.Version)).SequenceEqual([("a", "up", version), ("b", "up", version), ("c", "up", version)]);
            }, $"a, b and c up at version {version}");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the coordinator publishes exactly these states.</summary>
    public Task StatesAreAsync(params (string Id, string State)[] expected) =>
        Eventually.TrueAsync(async () =>
        {
            var nodes = await Coordinator.Client.GetNodesAsync(CancellationToken.None);
            return nodes.Select(n => (n.Id, n.State)).SequenceEqual(expected);
        }, "the states " + string.Join(", ", expected.Select(e => $"{e.Id} {e.State}")));

    public async Task<NodeStateDto> NodeAsync(string id) => (await Coordinator.NodeAsync(id))!;

    /// <summary>Takes away b's relay, so the coordinator hears nothing more from it, not even its leaving heartbeat.</summary>
    public async Task CutHeartbeatsOfBAsync()
    {
        await _relay!.DisposeAsync();
        _relay = null;
    }

    /// <summary>Stops a node; the file API is gone with it.</summary>
    public async Task StopAsync(string id)
    {
        await _nodes[id].DisposeAsync();
        _nodes.Remove(id);
    }

    /// <summary>GETs (or HEADs) the file through the balancer; returns the status, the serving node and the body.</summary>
    public async Task<(int Status, string? Node, byte[] Body)> ThroughProxyAsync(HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, "files/" + FilePath);
        using var response = await Http.SendAsync(request);
        var node = response.Headers.TryGetValues("MFleet-Node", out var values) ? values.Single() : null;
        return ((int)response.StatusCode, node, await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<bool> ServesAsync(TestNode node, byte[] content)
    {
        using var response = await node.Http.GetAsync("files/" + FilePath);
        return response.IsSuccessStatusCode && (await response.Content.ReadAsByteArrayAsync()).AsSpan().SequenceEqual(content);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        foreach (var id in _nodes.Keys.OrderDescending(StringComparer.Ordinal).ToList())
        {
            await StopAsync(id); // followers before their primary
        }
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }
        await Coordinator.DisposeAsync();
    }
}
