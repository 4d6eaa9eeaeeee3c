using System.Globalization;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>
/// A real nginx in front of real nodes, with a real coordinator keeping nginx's file: node "a" is the primary, the
/// others follow it. Ports are chosen first, so the file can name every server before anything starts.
/// </summary>
internal sealed class BalancedCluster : IAsyncDisposable
{
    /// <summary>Heartbeats every half second: DownAfter 1.5 s, wide enough for a busy test machine.</summary>
    public const double Interval = 0.5;

    public static readonly TimeSpan DownAfter = TimeSpan.FromSeconds(3 * Interval);

    private readonly List<IAsyncDisposable> _owned = [];

    private BalancedCluster(NginxServer nginx, Dictionary<string, int> ports)
    {
        Nginx = nginx;
        Ports = ports;
    }

    public NginxServer Nginx { get; }

    public TestCoordinator Coordinator { get; private set; } = null!;

    public Dictionary<string, TestNode> Nodes { get; } = [];

    public Dictionary<string, int> Ports { get; }

    public string Address(string id) => $"127.0.0.1:{Ports[id]}";

    /// <summary>
    /// Starts nginx with <paramref name="lines"/>(address of id) as its file, then the in-process nodes of
    /// <paramref name="inProcess"/> (default: all; "a" is the primary), then the coordinator. Nodes go first, as after a
    /// coordinator restart: they are heard within its start-up grace, so a file that already matches is never rewritten.
    /// </summary>
    public static async Task<BalancedCluster> StartAsync(string[] ids, Func<Func<string, string>, string> lines, IEnumerable<string>? inProcess = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var cluster = await CreateAsync(ids, lines);
            try
            {
                foreach (var id in inProcess ?? ids)
                {
                    await cluster.StartNodeAsync(id);
                }
                await cluster.StartCoordinatorAsync();
                return cluster;
            }
            catch (Exception e) when (attempt < 3 && IsAddressInUse(e))
            {
                // A port chosen up front was taken before the node bound it (a parallel test's outgoing connection can
                // be given the same ephemeral port): start again with new ports, as NginxServer does.
                await cluster.DisposeAsync();
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }
    }

    private static bool IsAddressInUse(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.AspNetCore.Connections.AddressInUseException
                || e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>nginx only, with ports chosen for every node and for the coordinator; the caller starts the rest.</summary>
    public static async Task<BalancedCluster> CreateAsync(string[] ids, Func<Func<string, string>, string> lines)
    {
        var ports = ids.Append(CoordinatorKey).ToDictionary(id => id, _ => NodeProcess.FreePort());
        var nginx = await NginxServer.StartAsync(lines(id => $"127.0.0.1:{ports[id]}"));
        var cluster = new BalancedCluster(nginx, ports);
        cluster._owned.Add(nginx);
        return cluster;
    }

    private const string CoordinatorKey = "coordinator";

    /// <summary>Where the coordinator listens, also across its restarts.</summary>
    public string CoordinatorUrl => $"http://127.0.0.1:{Ports[CoordinatorKey]}";

    /// <summary>The file every test starts from: thresholds far above any real load, hand-tuned parameters on two lines.</summary>
    public static string DefaultFile(Func<string, string> address) =>
        "# real nodes report the machine's real load; these tests are about flags, silence and versions, not load\n" +
        "# backup_threshold=1000 down_threshold=2000\n" +
        $"server {address("a")} weight=2;\n" +
        $"server {address("b")} max_fails=3 fail_timeout=5s;\n" +
        $"server {address("c")};\n";

    /// <summary>(Re)starts the coordinator on the same URL, so nodes keep reaching it.</summary>
    public async Task StartCoordinatorAsync(Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Coordinator:NginxConf"] = Nginx.UpstreamPath,
            ["Coordinator:NginxTest"] = Nginx.TestCommand,
            ["Coordinator:NginxReload"] = Nginx.ReloadCommand,
            ["Coordinator:HeartbeatInterval"] = Interval.ToString(CultureInfo.InvariantCulture),
            ["Coordinator:ReloadDebounce"] = "0.3",
            ["Coordinator:Listen"] = CoordinatorUrl,
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }
        Coordinator = await TestCoordinator.StartAsync(values);
        _owned.Add(Coordinator);
    }

    public async Task StopCoordinatorAsync()
    {
        _owned.Remove(Coordinator);
        await Coordinator.DisposeAsync();
    }

    /// <summary>Node settings for heartbeats to this cluster's coordinator from the port chosen for <paramref name="id"/>.</summary>
    public Dictionary<string, string?> NodeSettings(string id) => new()
    {
        ["Node:Id"] = id,
        ["Node:Listen"] = $"http://{Address(id)}",
        ["Node:Coordinator"] = CoordinatorUrl,
        ["Node:HeartbeatInterval"] = Interval.ToString(CultureInfo.InvariantCulture),
    };

    public async Task<TestNode> StartNodeAsync(string id, Dictionary<string, string?>? followerSettings = null)
    {
        var settings = NodeSettings(id);
        TestNode node;
        if (id == "a")
        {
            node = await TestNode.StartAsync(settings: settings);
        }
        else
        {
            foreach (var (key, value) in followerSettings ?? [])
            {
                settings[key] = value;
            }
            node = await TestNode.StartFollowerAsync(settings.ContainsKey("Node:Upstream") ? settings["Node:Upstream"]! : $"http://{Address("a")}", settings: settings);
        }
        Nodes[id] = node;
        _owned.Add(node);
        return node;
    }

    /// <summary>Stops an in-process node the way SIGTERM does: it says goodbye with a last heartbeat.</summary>
    public async Task StopNodeAsync(string id)
    {
        var node = Nodes[id];
        Nodes.Remove(id);
        _owned.Remove(node);
        await node.DisposeAsync();
    }

    public async Task<NodeStateDto?> NodeAsync(string id) => await Coordinator.NodeAsync(id);

    /// <summary>nginx's reload count when the cluster last settled; tests count reloads from here.</summary>
    public int ReloadBaseline { get; private set; }

    /// <summary>
    /// Waits until the coordinator's grace is over, each of <paramref name="ids"/> is published <paramref name="state"/>,
    /// their lines say so and nginx has applied every reload the coordinator ran. Nodes first heard of after the grace
    /// start down and earn their way up, which may take a reload or two on a slow machine; those count before the baseline.
    /// The file goes in place before <c>nginx -t</c> and the reload, so a file that already says so may still have its
    /// reload to come: settled means all of that held, unchanged, for a second (a reload counted after the baseline
    /// would let a later wait for "one more reload" pass on the wrong one).
    /// </summary>
    public async Task SettledAsync(string state, params string[] ids)
    {
        var flag = state switch { "up" => ";", "backup" => " backup;", _ => " down;" };
        string? held = null;
        var heldSince = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(async () =>
        {
            var nodes = await Coordinator.Client.GetNodesAsync(CancellationToken.None);
            var coordinator = await Coordinator.Client.GetStateAsync(CancellationToken.None);
            var settled = coordinator.GraceOver
                && ids.All(id => nodes.Any(n => n.Id == id && n.State == state))
                && ids.All(id => LineOf(id).EndsWith(flag, StringComparison.Ordinal) && !LineOf(id).EndsWith(" backup" + flag, StringComparison.Ordinal))
                && coordinator.Nginx!.Writes == coordinator.Nginx.Reloads
                && coordinator.Nginx.Reloads == Nginx.ReloadCount;
            var snapshot = settled ? $"{coordinator.Nginx!.Writes} {Nginx.ReloadCount}\n{File.ReadAllText(Nginx.UpstreamPath)}" : null;
            if (snapshot != held)
            {
                held = snapshot;
                heldSince.Restart();
            }
            return held is not null && heldSince.Elapsed >= TimeSpan.FromSeconds(1);
        }, $"{string.Join(", ", ids)} to be {state} in the coordinator, the file and nginx, and to stay so for a second", TimeSpan.FromSeconds(30));
        ReloadBaseline = Nginx.ReloadCount;
    }

    /// <summary>The server line of <paramref name="id"/> in nginx's file, as it is now.</summary>
    public string LineOf(string id) =>
        File.ReadAllLines(Nginx.UpstreamPath).Single(l => l.StartsWith($"server {Address(id)} ", StringComparison.Ordinal) || l.StartsWith($"server {Address(id)};", StringComparison.Ordinal));

    /// <summary>
    /// Waits until the line of <paramref name="id"/> reads <paramref name="expected"/> and nginx has applied
    /// <paramref name="reloads"/> reloads since the baseline; then asserts it applied no more than that.
    /// </summary>
    public async Task LineBecomesAsync(string id, string expected, int reloads)
    {
        await Eventually.TrueAsync(() => LineOf(id) == expected, $"line of {id} to read '{expected}' (it reads '{LineOf(id)}')", TimeSpan.FromSeconds(30));
        await Nginx.WaitForReloadCountAsync(ReloadBaseline + reloads, TimeSpan.FromSeconds(30));
        Assert.Equal(ReloadBaseline + reloads, Nginx.ReloadCount);
    }

    /// <summary>Which servers answer <paramref name="count"/> GETs of <paramref name="path"/> through nginx.</summary>
    public async Task<IReadOnlyList<string>> UpstreamsAsync(string path, int count)
    {
        var seen = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var (status, upstream) = await Nginx.GetAsync(path);
            Assert.True(status == System.Net.HttpStatusCode.OK, $"{(int)status} from {upstream}; file:\n{File.ReadAllText(Nginx.UpstreamPath)}\nnginx log:\n{Nginx.ErrorLog}");
            seen.Add(Ports.Single(p => $"127.0.0.1:{p.Value}" == upstream).Key);
        }
        return seen;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
        _owned.Clear();
    }
}
