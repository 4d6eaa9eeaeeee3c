using MediaFleet.Contracts.Problems;
using System.Net;
using MediaFleet.Contracts.Client;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Tls;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.Dashboard;
using MediaFleet.Coordinator.Events;
using MediaFleet.Coordinator.Heartbeats;
using MediaFleet.Coordinator.Nginx;
using MediaFleet.Coordinator.Proxy;
using MediaFleet.Coordinator.Scores;
using MediaFleet.Coordinator.States;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MediaFleet.Coordinator;

/// <summary>Builds the coordinator's web host: heartbeat intake, server states, the nginx file and the built-in balancer.</summary>
public static class CoordinatorApp
{
    private const string ProxyConnection = "mfleet.proxy";

    /// <summary>Builds a coordinator from validated configuration; the nginx file, if any, is read before anything listens.</summary>
    public static Task<WebApplication> BuildAsync(IConfiguration configuration, Action<ILoggingBuilder>? logging = null)
    {
        var options = CoordinatorOptions.From(configuration);
        var scores = ScoreOptions.From(configuration);
        var auth = AuthOptions.From(configuration);
        var tls = TlsOptions.From(configuration);
        var errors = options.Validate().Concat(scores.Validate()).Concat(auth.Validate())
            .Concat(tls.Validate(options.Proxy is null ? [options.Listen] : [options.Listen, options.Proxy])).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidSettingsException(errors);
        }
        var certificate = tls.Certificate is null ? null : ServerCertificate.Load(tls.Certificate, tls.Key!);
        var clientTls = ClientTls.From(tls);

        var builder = RoleHost.CreateBuilder(configuration, listen: null, logging);
        var endpoints = new ListenEndpoints(options);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            endpoints.Api = RoleHost.Listen(kestrel, options.Listen, certificate, _ => { });
            if (options.Proxy is not null)
            {
                // Connections to the balancer's port are marked, so one host serves both without mixing their routes.
                endpoints.Proxy = RoleHost.Listen(kestrel, options.Proxy, certificate, listen => listen.Use(next => connection =>
                {
                    connection.Items[ProxyConnection] = true;
                    return next(connection);
                }));
            }
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton(new ClusterHttp(auth.Token, clientTls));
        builder.Services.AddSingleton(endpoints);
        builder.Services.AddSingleton<AccessCheck>();
        builder.Services.AddSingleton<ServerRegistry>();
        builder.Services.AddSingleton<RecentEvents>();
        builder.Services.AddSingleton<CoordinatorMetrics>();
        builder.Services.AddHostedService<SilenceWatch>();
        builder.Services.AddSingleton(scores);
        builder.Services.AddSingleton<CatalogGatherer>();
        builder.Services.AddSingleton<ScoreKeeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ScoreKeeper>());
        builder.Services.AddSingleton<DashboardSnapshot>();
        if (options.Broker is not null)
        {
            builder.Services.AddSingleton<BrokerQueueView>();
        }
        if (options.NginxConf is not null)
        {
            builder.Services.AddSingleton<NginxFileKeeper>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<NginxFileKeeper>());
        }
        if (options.SeedHeartbeats is not null)
        {
            builder.Services.AddSingleton<Seed.SeedHeartbeatListener>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Seed.SeedHeartbeatListener>());
        }
        if (options.Proxy is not null)
        {
            builder.Services.AddHttpForwarder();
            builder.Services.AddSingleton<BuiltInProxy>();
        }
        RoleMetrics.Add(builder, CoordinatorMetrics.MeterName, _ => RoleIdentity.Of("coordinator"), sp => sp.GetRequiredService<CoordinatorMetrics>());

        var app = builder.Build();
        try
        {
            app.Services.GetService<NginxFileKeeper>()?.Prepare();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidSettingsException([$"Coordinator:NginxConf (--nginx-conf) '{options.NginxConf}': {e.Message}"]);
        }

        app.Services.GetService<Seed.SeedHeartbeatListener>()?.Bind();

        if (app.Services.GetService<BuiltInProxy>() is { } proxy)
        {
            app.MapWhen(IsProxyConnection, branch => branch.Run(proxy.HandleAsync));
        }
        app.UseStatusCodePages(context => Problem.ForStatus(context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        app.MapHeartbeats();
        app.MapDashboard();
        app.MapScores();
        RoleMetrics.Map(app);

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MediaFleet.Coordinator");
            if (auth.InsecureNoAuth && string.IsNullOrEmpty(auth.Token))
            {
                Log.InsecureNoAuth(logger);
            }
            if (auth.TokenOnCommandLine)
            {
                RoleHost.WarnTokenOnCommandLine(logger);
            }
            Log.Started(logger, endpoints.ApiUrl ?? options.Listen);
            if (endpoints.ProxyUrl is { } proxyUrl)
            {
                Log.ProxyStarted(logger, proxyUrl);
            }
        });
        return Task.FromResult(app);
    }

    /// <summary>Gathers the nodes' catalogs and scores now, instead of at the next <c>Score:RefreshSeconds</c> (the demo).</summary>
    public static Task ScoreNowAsync(WebApplication app, CancellationToken cancellationToken) =>
        app.Services.GetRequiredService<ScoreKeeper>().RefreshAsync(cancellationToken);

    /// <summary>The coordinator API's URL once started (port 0 resolved).</summary>
    public static string ApiUrl(WebApplication app) => app.Services.GetRequiredService<ListenEndpoints>().ApiUrl!;

    /// <summary>The built-in balancer's URL once started, or null when there is none.</summary>
    public static string? ProxyUrl(WebApplication app) => app.Services.GetRequiredService<ListenEndpoints>().ProxyUrl;

    private static bool IsProxyConnection(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(ProxyConnection) == true;

    /// <summary>The two listeners, kept to learn their real ports after binding.</summary>
    internal sealed class ListenEndpoints(CoordinatorOptions options)
    {
        public ListenOptions? Api { get; set; }

        public ListenOptions? Proxy { get; set; }

        public string? ApiUrl => Api is null ? null : RoleHost.UrlOf(Api, options.Listen);

        public string? ProxyUrl => Proxy is null ? null : RoleHost.UrlOf(Proxy, options.Proxy!);
    }
}
