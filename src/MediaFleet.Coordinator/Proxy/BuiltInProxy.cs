using System.Net;
using MediaFleet.Contracts.Client;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Problems;
using MediaFleet.Coordinator.States;
using Yarp.ReverseProxy.Forwarder;

namespace MediaFleet.Coordinator.Proxy;

/// <summary>
/// The balancer for a cluster without nginx (DESIGN.md section 6): <c>/files/**</c> goes round robin to the up
/// servers, to the backup servers only when none is up, and 503 when none is left. YARP forwards the bytes.
/// </summary>
internal sealed class BuiltInProxy : IDisposable
{
    /// <summary>Names the node that answered, as nginx's <c>$upstream_addr</c> would.</summary>
    public const string NodeHeader = "MFleet-Node";

    private readonly ServerRegistry _registry;
    private readonly IHttpForwarder _forwarder;
    private readonly ILogger<BuiltInProxy> _logger;
    private readonly HttpMessageInvoker _client;
    private readonly ForwarderRequestConfig _config = new() { ActivityTimeout = TimeSpan.FromMinutes(2) };
    private int _next = -1;

    public BuiltInProxy(ServerRegistry registry, IHttpForwarder forwarder, ClusterHttp cluster, ILogger<BuiltInProxy> logger)
    {
        // Nodes' https certificates are checked as every client of this role checks them.
        _client = new HttpMessageInvoker(cluster.Tls.CreateHandler(handler =>
        {
            handler.UseProxy = false;
            handler.AllowAutoRedirect = false;
            handler.AutomaticDecompression = DecompressionMethods.None;
            handler.UseCookies = false;
            handler.ConnectTimeout = TimeSpan.FromSeconds(5);
            handler.EnableMultipleHttp2Connections = true;
        }));
        _registry = registry;
        _forwarder = forwarder;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/files", StringComparison.Ordinal))
        {
            await Problem.Of(ProblemTypes.NotFound, "the balancer forwards /files/… only", StatusCodes.Status404NotFound).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        var targets = _registry.Targets();
        // A request without a body may try the next server when one cannot be reached; one with a body may not.
        var attempts = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) ? targets.Count : Math.Min(1, targets.Count);
        var start = Interlocked.Increment(ref _next) & int.MaxValue;
        for (var i = 0; i < attempts; i++)
        {
            var target = targets[(start + i) % targets.Count];
            context.Response.Headers[NodeHeader] = target.Id;
            var error = await _forwarder.SendAsync(context, target.Url, _client, _config, HttpTransformer.Default).ConfigureAwait(false);
            if (error != ForwarderError.Request || context.Response.HasStarted || i == attempts - 1)
            {
                return;
            }
            context.Response.Clear(); // unreachable before anything was sent: try the next server
        }
        Log.NoServer(_logger);
        await Problem.Of(ProblemTypes.NoServer, "no server is up or backup", StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context).ConfigureAwait(false);
    }

    public void Dispose() => _client.Dispose();
}
