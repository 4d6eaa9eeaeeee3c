using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Coordinator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Testing;

/// <summary>
/// A real coordinator in this process on 127.0.0.1 port 0 (and a built-in balancer on another port 0 when asked),
/// with <see cref="TestNode.Token"/> as its token and short, test-sized intervals unless the settings say otherwise.
/// </summary>
public sealed class TestCoordinator : IAsyncDisposable
{
    /// <summary>Heartbeat interval of test nodes and coordinators, in seconds: DownAfter is 3 of them.</summary>
    public const double Interval = 0.2;

    private readonly WebApplication _app;

    private TestCoordinator(WebApplication app)
    {
        _app = app;
        Url = CoordinatorApp.ApiUrl(app);
        ProxyUrl = CoordinatorApp.ProxyUrl(app);
        Http = NodeClient.CreateHttp(new Uri(Url), TestNode.Token);
        Client = new CoordinatorClient(Http);
    }

    public string Url { get; }

    /// <summary>The built-in balancer's URL, or null when it was not asked for.</summary>
    public string? ProxyUrl { get; }

    public HttpClient Http { get; }

    public CoordinatorClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a coordinator. <paramref name="settings"/> are configuration keys such as
    /// <c>Coordinator:NginxConf</c>; <c>Coordinator:Proxy</c> = <c>http://127.0.0.1:0</c> adds the balancer.
    /// <paramref name="logs"/>, when given, receives every log entry as well.
    /// </summary>
    public static async Task<TestCoordinator> StartAsync(IDictionary<string, string?>? settings = null, CapturedLogs? logs = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Coordinator:Listen"] = "http://127.0.0.1:0",
            ["Coordinator:HeartbeatInterval"] = Interval.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Coordinator:ReloadDebounce"] = "0.2",
            ["Auth:Token"] = TestNode.Token,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var app = await CoordinatorApp.BuildAsync(configuration, logging =>
        {
            logging.SetMinimumLevel(Environment.GetEnvironmentVariable("MFLEET_TEST_LOG") is null ? LogLevel.Warning : LogLevel.Debug);
            logs?.AttachTo(logging);
        });
        await app.StartAsync();
        return new TestCoordinator(app);
    }

    /// <summary>Settings for a node that sends heartbeats here at the test interval.</summary>
    public Dictionary<string, string?> NodeSettings(string id) => new()
    {
        ["Node:Id"] = id,
        ["Node:Coordinator"] = Url,
        ["Node:HeartbeatInterval"] = Interval.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The state the coordinator publishes for <paramref name="id"/>, or null when it has not heard of it.</summary>
    public async Task<NodeStateDto?> NodeAsync(string id) =>
        (await Client.GetNodesAsync(CancellationToken.None)).FirstOrDefault(n => n.Id == id);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
