using MediaFleet.Contracts.Problems;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Contracts.Client;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Tls;
using MediaFleet.Node.Configuration;
using MediaFleet.Node.Files;
using MediaFleet.Node.Flags;
using MediaFleet.Node.Heartbeat;
using MediaFleet.Node.Integrity;
using MediaFleet.Library.Scrub;
using MediaFleet.Node.Library;
using MediaFleet.Node.Replication;
using MediaFleet.Node.Status;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Node;

/// <summary>Builds the node's web host: the library store, the file API, status and metrics.</summary>
public static class NodeApp
{
    /// <summary>
    /// Builds a node from validated configuration and runs start-up recovery before it serves anything.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(IConfiguration configuration, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        var options = NodeOptions.From(configuration);
        var auth = AuthOptions.From(configuration);
        var scrub = ScrubOptions.From(configuration);
        var tls = TlsOptions.From(configuration);
        var errors = options.Validate().Concat(scrub.Validate()).Concat(auth.Validate()).Concat(tls.Validate([options.Listen])).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidSettingsException(errors);
        }
        var certificate = tls.Certificate is null ? null : ServerCertificate.Load(tls.Certificate, tls.Key!);
        var clientTls = ClientTls.From(tls);
        await RefusePlainHttpAsync(auth, clientTls, cancellationToken, options.Upstream, options.Coordinator).ConfigureAwait(false);

        var builder = RoleHost.CreateBuilder(configuration, listen: null, logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            RoleHost.Listen(kestrel, options.Listen, certificate, _ => { });
            // Media files have no size limit; bodies stream to disk in constant memory.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        // Kestrel receives into one pool block at a time: 64 KiB blocks make an upload 16 times fewer receive calls. It
        // waits for data before it takes a block (its default), so an idle keep-alive connection holds none.
        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPool.Factory>();

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton(new ClusterHttp(auth.Token, clientTls));
        builder.Services.AddSingleton<AccessCheck>();
        builder.Services.AddSingleton(sp =>
        {
            var root = new LibraryRoot(options.Data);
            var catalog = LibraryCatalog.Open(root, sp.GetRequiredService<TimeProvider>());
            return new LibraryStore(root, catalog, options.ReserveBytes, sp.GetRequiredService<ILogger<LibraryStore>>());
        });
        // First of the hosted services: the file index loads while everything else starts and the node serves.
        builder.Services.AddSingleton(new FirstCatchUp(follower: options.Upstream is not null));
        builder.Services.AddHostedService<IndexLoader>();
        builder.Services.AddSingleton<NodeMetrics>();
        builder.Services.AddSingleton(_ => new OpenCopies(OpenCopies.CapacityForThisProcess()));
        builder.Services.AddSingleton<FileHandler>();
        if (options.Upstream is not null)
        {
            builder.Services.AddSingleton<Upstream>();
            builder.Services.AddSingleton<Follower>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Follower>());
        }
        builder.Services.AddSingleton<StartupScanProgress>();
        builder.Services.AddHostedService<StartupScan>();
        builder.Services.AddSingleton(scrub);
        builder.Services.AddSingleton<ScrubProgress>();
        builder.Services.AddSingleton(sp => new Scrubber(sp.GetRequiredService<LibraryStore>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<ScrubService>();
        builder.Services.AddHostedService<Healer>();
        builder.Services.AddSingleton<RepairList>();
        builder.Services.AddHostedService<RepairListRefresher>();
        if (options.Coordinator is not null)
        {
            builder.Services.AddHostedService<HeartbeatSender>();
        }
        RoleMetrics.Add(builder, NodeMetrics.MeterName, sp => RoleIdentity.Node(options.Id ?? sp.GetRequiredService<LibraryStore>().Catalog.NodeId, options.Site, options.Primary),
            sp => sp.GetRequiredService<NodeMetrics>(), buildOnFirstScrape: true);

        var app = builder.Build();
        try
        {
            var store = app.Services.GetRequiredService<LibraryStore>();
            await store.RecoverAsync(options.Primary, cancellationToken).ConfigureAwait(false);
            if (options.Upstream is not null && store.Catalog.SeenVersion != DataVersion.Zero)
            {
                // A restarted follower's catch-up starts now, not when the host starts its services: it asks the upstream
                // and applies while the routes are mapped and Kestrel starts (it is caught up about when it listens). On
                // a pool thread: the loop's first steps (its HTTP client, OpenSSL for the digests) take a core's time.
                // One that provisions (an empty catalog) starts with the host, as before: its work takes seconds to
                // minutes, so starting it a tenth of a second earlier gains nothing.
                var follower = app.Services.GetRequiredService<Follower>();
                _ = Task.Run(() => follower.StartAsync(CancellationToken.None), CancellationToken.None);
            }
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // Answers the server or routing left empty (unknown route, 405, a query that did not bind) get a problem too.
        app.UseStatusCodePages(context => Problem.ForStatus(context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        var files = app.Services.GetRequiredService<FileHandler>();
        app.MapWhen(
            context => RequestTarget.IsFileRoute(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ""),
            branch => branch.Run(files.HandleAsync));
        // Routing after the file branch: a file request never runs the endpoint matcher (WebApplication would put it first).
        app.UseRouting();
        app.MapStatus();
        app.MapLibrary();
        app.MapBundle();
        app.MapFlags();
        app.MapVerify();
        app.MapCatalog();
        RoleMetrics.Map(app);

        var lifetime = app.Lifetime;
        lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MediaFleet.Node");
            if (auth.InsecureNoAuth && string.IsNullOrEmpty(auth.Token))
            {
                Log.InsecureNoAuth(logger);
            }
            if (auth.TokenOnCommandLine)
            {
                RoleHost.WarnTokenOnCommandLine(logger);
            }
            Log.Started(logger, options.Id ?? app.Services.GetRequiredService<LibraryStore>().Catalog.NodeId,
                options.Primary ? "primary" : "follower", options.Data, string.Join(' ', BoundUrls(app)));
        });
        return app;
    }

    /// <summary>
    /// Stops the start, before anything is sent, when the token would go over plain http to a public address
    /// (DESIGN.md section 4).
    /// </summary>
    private static async Task RefusePlainHttpAsync(AuthOptions auth, ClientTls tls, CancellationToken cancellationToken, params string?[] targets)
    {
        if (string.IsNullOrEmpty(auth.Token))
        {
            return;
        }
        foreach (var target in targets)
        {
            if (target is not null && await PrivateAddresses.RefusalAsync(new Uri(target), tls.AllowInsecureHttp, cancellationToken).ConfigureAwait(false) is { } refusal)
            {
                throw new InvalidSettingsException([refusal]);
            }
        }
    }

    /// <summary>The URLs the node listens on, with real ports (port 0 resolved).</summary>
    public static IReadOnlyList<string> BoundUrls(WebApplication app) => RoleHost.BoundUrls(app.Services);
}
