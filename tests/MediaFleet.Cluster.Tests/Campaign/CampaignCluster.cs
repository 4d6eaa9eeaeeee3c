using System.Globalization;
using MediaFleet.Contracts.Client;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>
/// The cluster the campaign attacks, every role a real process on a port chosen once, so a restart comes back on the
/// same folder and address: primary "a", follower "b" of a, follower "c" of b (each follower reaching its upstream
/// through a <see cref="ChaosProxy"/>), and a coordinator keeping a real nginx's file. Every process is ended by its own
/// handle on dispose; what each incarnation printed goes to the journal's folder.
/// </summary>
internal sealed class CampaignCluster : IAsyncDisposable
{
    public const string Primary = "a";
    public const string Coordinator = "coordinator";
    public static readonly string[] Nodes = [Primary, "b", "c"];
    public static readonly string[] Roles = [.. Nodes, Coordinator];

    private const double Interval = 0.5;

    private readonly TempFolder _folder = new("mfleet-campaign-");
    private readonly Dictionary<string, int> _ports;
    private readonly Dictionary<string, NodeProcess?> _running = [];
    private readonly Dictionary<string, int> _incarnations = [];
    private readonly Dictionary<string, ChaosProxy> _proxies = [];
    private readonly CampaignJournal _journal;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private NginxServer? _nginx;

    private CampaignCluster(CampaignJournal journal)
    {
        _journal = journal;
        _ports = Roles.ToDictionary(role => role, _ => NodeProcess.FreePort());
    }

    public NginxServer Nginx => _nginx!;

    public string Url(string role) => $"http://127.0.0.1:{_ports[role]}";

    public string Library(string node) => _folder.Combine(node);

    public NodeClient Client(string node) => new(NodeClient.CreateHttp(new Uri(Url(node)), TestNode.Token));

    public CoordinatorClient CoordinatorClient() => new(NodeClient.CreateHttp(new Uri(Url(Coordinator)), TestNode.Token));

    /// <summary>The proxies in front of each follower's upstream, by follower.</summary>
    public IReadOnlyDictionary<string, ChaosProxy> Proxies => _proxies;

    /// <summary>Roles whose last restart failed, with what the process printed.</summary>
    public Dictionary<string, string> FailedStarts { get; } = [];

    public bool IsRunning(string role) => _running.GetValueOrDefault(role) is { HasExited: false };

    /// <summary>nginx, the coordinator and the primary; the followers come later, so they provision from a manifest.</summary>
    public static async Task<CampaignCluster> StartAsync(int seed, CampaignJournal journal)
    {
        var cluster = new CampaignCluster(journal);
        try
        {
            // Thresholds far above any real load: this campaign is about crashes and cuts, not load.
            cluster._nginx = await NginxServer.StartAsync(
                "# backup_threshold=1000 down_threshold=2000\n" + string.Concat(Nodes.Select(n => $"server 127.0.0.1:{cluster._ports[n]};\n")));
            cluster._proxies["b"] = new ChaosProxy(cluster._ports[Primary], seed + 1);
            cluster._proxies["c"] = new ChaosProxy(cluster._ports["b"], seed + 2);
            await cluster.StartAsync(Coordinator);
            await cluster.StartAsync(Primary);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <paramref name="role"/> on its folder and port unless it runs; false (and a note in <see cref="FailedStarts"/>) when it would not start.</summary>
    public async Task<bool> StartAsync(string role)
    {
        await _lock.WaitAsync();
        try
        {
            if (IsRunning(role))
            {
                return true;
            }
            for (var attempt = 1; ; attempt++)
            {
                var incarnation = _incarnations[role] = _incarnations.GetValueOrDefault(role) + 1;
                try
                {
                    var process = role == Coordinator
                        ? await NodeProcess.StartCoordinatorAsync(Url(role), CoordinatorArgs(), environment: CoordinatorEnvironment)
                        : await NodeProcess.StartAsync(Library(role), NodeArgs(role), listen: Url(role), environment: NodeEnvironment);
                    _running[role] = process;
                    FailedStarts.Remove(role);
                    _journal.Note($"{role} started (#{incarnation}, pid {process.Pid})");
                    return true;
                }
                catch (InvalidOperationException e)
                {
                    _journal.ProcessOutput(role, incarnation, e.Message);
                    // Another program may have taken the port while ours was down: that is this harness's luck, not a finding.
                    if (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }
                    FailedStarts[role] = e.Message;
                    _journal.Note($"{role} did not start (#{incarnation})");
                    return false;
                }
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>kill -9, then the output of that incarnation goes to the journal.</summary>
    public async Task KillAsync(string role)
    {
        await _lock.WaitAsync();
        try
        {
            if (_running.GetValueOrDefault(role) is not { } process)
            {
                return;
            }
            _running[role] = null;
            await process.KillAsync();
            _journal.ProcessOutput(role, _incarnations[role], process.Output);
            await process.DisposeAsync();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The output of the running incarnation of <paramref name="role"/> so far (empty when it is down).</summary>
    public string OutputOf(string role) => _running.GetValueOrDefault(role)?.Output ?? "";

    private IEnumerable<string> NodeArgs(string node) =>
        [.. node == Primary ? ["--primary"] : (string[])["--upstream", _proxies[node].Url], "--id", node, "--coordinator", Url(Coordinator)];

    private string[] CoordinatorArgs() =>
        ["--nginx-conf", Nginx.UpstreamPath, "--nginx-test", Nginx.TestCommand, "--nginx-reload", Nginx.ReloadCommand];

    private static readonly Dictionary<string, string> NodeEnvironment = new()
    {
        ["MFLEET_Node__HeartbeatInterval"] = Interval.ToString(CultureInfo.InvariantCulture),
        // Short long-polls and retries: the campaign checks that followers converge, not how patiently they wait.
        ["MFLEET_Node__ChangesWaitSeconds"] = "5",
        ["MFLEET_Node__RetryMaxSeconds"] = "5",
        // A transfer silent this long is given up and resumed on a new connection (the proxy stalls some for good).
        ["MFLEET_Node__TransferIdleSeconds"] = "3",
    };

    private static readonly Dictionary<string, string> CoordinatorEnvironment = new()
    {
        ["MFLEET_Coordinator__HeartbeatInterval"] = Interval.ToString(CultureInfo.InvariantCulture),
        ["MFLEET_Coordinator__ReloadDebounce"] = "0.3",
    };

    /// <summary>Ends every process by its handle (saving its output), the proxies and nginx; removes the folders.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var role in Roles)
        {
            try
            {
                await KillAsync(role);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                _journal.Note($"{role} could not be ended: {e.Message}");
            }
        }
        foreach (var proxy in _proxies.Values)
        {
            await proxy.DisposeAsync();
        }
        if (_nginx is not null)
        {
            _journal.ProcessOutput("nginx", 1, _nginx.ErrorLog);
            await _nginx.DisposeAsync();
        }
        _folder.Dispose();
        _lock.Dispose();
    }
}
