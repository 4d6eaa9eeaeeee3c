using System.Net.Http.Headers;
using MediaFleet.Contracts.Client;
using MediaFleet.Library.Store;
using MediaFleet.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Testing;

/// <summary>
/// A real node (real Kestrel on 127.0.0.1, port 0) in this process, with its own library folder. Disposing it
/// stops the node and removes the folder unless the folder was handed in.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    private readonly WebApplication _app;
    private readonly TempFolder? _ownedFolder;

    private TestNode(WebApplication app, string library, TempFolder? ownedFolder)
    {
        _app = app;
        Library = library;
        _ownedFolder = ownedFolder;
        Url = NodeApp.BoundUrls(app)[0];
        Http = Authorized(Token);
        Client = new NodeClient(NodeClient.CreateHttp(new Uri(Url), Token));
    }

    /// <summary>The node's base URL, e.g. http://127.0.0.1:41234.</summary>
    public string Url { get; }

    /// <summary>The library folder.</summary>
    public string Library { get; }

    /// <summary>An HttpClient on <see cref="Url"/> that sends the cluster token.</summary>
    public HttpClient Http { get; }

    public NodeClient Client { get; }

    public LibraryStore Store => _app.Services.GetRequiredService<LibraryStore>();

    /// <summary>The node's services, for tests that check what it was built with.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a primary (unless settings say otherwise) with <see cref="Token"/> as its cluster token.</summary>
    /// <param name="logs">Where the node's information-level entries are kept as well, for tests that read them.</param>
    public static async Task<TestNode> StartAsync(string? library = null, IDictionary<string, string?>? settings = null, CapturedLogs? logs = null)
    {
        var owned = library is null ? new TempFolder("mfleet-node-") : null;
        library ??= owned!.Path;
        var values = new Dictionary<string, string?>
        {
            ["Node:Data"] = library,
            ["Node:Primary"] = "true",
            ["Node:Listen"] = "http://127.0.0.1:0",
            ["Node:ReserveBytes"] = "0",
            ["Auth:Token"] = Token,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var app = await NodeApp.BuildAsync(configuration, logging =>
        {
            logging.SetMinimumLevel(Environment.GetEnvironmentVariable("MFLEET_TEST_LOG") is null ? LogLevel.Warning : LogLevel.Debug);
            logs?.AttachTo(logging);
        });
        await app.StartAsync();
        return new TestNode(app, library, owned);
    }

    /// <summary>Starts a follower of <paramref name="upstream"/> (a URL) in its own folder, or in <paramref name="library"/>.</summary>
    public static Task<TestNode> StartFollowerAsync(string upstream, string? library = null, IDictionary<string, string?>? settings = null, CapturedLogs? logs = null)
    {
        var values = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Node:Primary"] = "false",
            ["Node:Upstream"] = upstream,
        };
        return StartAsync(library, values, logs);
    }

    /// <summary>An HttpClient on this node with the given bearer token (null: none).</summary>
    public HttpClient Authorized(string? token)
    {
        var http = new HttpClient { BaseAddress = new Uri(Url + "/") };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return http;
    }

    private bool _disposed;

    /// <summary>Stops the node as SIGTERM would (a last heartbeat, then the host); a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _ownedFolder?.Dispose();
    }
}
