using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests.Monitoring;

/// <summary>
/// Every role as a real process, as a server runs it: a coordinator with an nginx file, a primary and a follower at
/// two sites sending it heartbeats, a broker and a worker. Started once for the monitoring tests, each process
/// ended by its own handle.
/// </summary>
public sealed class RunningRoles : IAsyncLifetime
{
    private readonly TempFolder _folder = new("mfleet-monitoring-");
    private readonly List<NodeProcess> _processes = [];

    public NodeProcess Coordinator { get; private set; } = null!;

    public NodeProcess Primary { get; private set; } = null!;

    public NodeProcess Follower { get; private set; } = null!;

    public NodeProcess Broker { get; private set; } = null!;

    public NodeProcess Worker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        try
        {
            await StartEveryRoleAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartEveryRoleAsync()
    {
        var nginx = _folder.Combine("upstream.conf");
        await File.WriteAllTextAsync(nginx, "upstream media {\n    server 127.0.0.1:1;\n}\n");
        // Thresholds far above any load: a busy test machine must not take the nodes down (states are not under test).
        var relaxed = new Dictionary<string, string>
        {
            ["MFLEET_Coordinator__BackupThreshold"] = "1000",
            ["MFLEET_Coordinator__DownThreshold"] = "1000",
            ["MFLEET_Coordinator__HeartbeatInterval"] = "0.5",
            ["MFLEET_Score__RefreshSeconds"] = "1",
        };
        Coordinator = await StartAsync(NodeProcess.StartCoordinatorAsync("http://127.0.0.1:0",
            ["--nginx-conf", nginx, "--nginx-test", "true", "--nginx-reload", "true"], environment: relaxed));
        var heartbeats = new Dictionary<string, string> { ["MFLEET_Node__HeartbeatInterval"] = "0.5" };
        Primary = await StartAsync(NodeProcess.StartAsync(_folder.Combine("a"),
            ["--primary", "--id", "a", "--site", "home", "--coordinator", Coordinator.Url], environment: heartbeats));
        Follower = await StartAsync(NodeProcess.StartAsync(_folder.Combine("b"),
            ["--upstream", Primary.Url, "--id", "b", "--site", "away", "--coordinator", Coordinator.Url], environment: heartbeats));
        Broker = await StartAsync(NodeProcess.StartBrokerAsync(_folder.Combine("broker"), environment: new Dictionary<string, string> { ["MFLEET_Broker__ReserveBytes"] = "0" }));
        Worker = await StartAsync(NodeProcess.StartWorkerAsync(Broker.Url, _folder.Combine("scratch"), ["--id", "w1"]));
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        _folder.Dispose();
    }

    /// <summary>The text of <c>GET /metrics</c> of a role, without a token (Prometheus scrapes without one).</summary>
    public static async Task<string> ScrapeAsync(NodeProcess role)
    {
        using var http = new HttpClient { BaseAddress = new Uri(role.Url + "/") };
        using var response = await http.GetAsync("metrics");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<NodeProcess> StartAsync(Task<NodeProcess> starting)
    {
        var process = await starting;
        _processes.Add(process);
        return process;
    }
}
