using System.Net;
using MediaFleet.Contracts.Hosting;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.Dashboard;
using MediaFleet.Coordinator.Heartbeats;
using MediaFleet.Coordinator.Nginx;
using MediaFleet.Coordinator.Proxy;
using MediaFleet.Coordinator.Scores;
using MediaFleet.Coordinator.States;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Metrics;

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
        var errors = options.Validate().Concat(scores.Validate()).Concat(auth.Validate()).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidSettingsException(errors);
        }

        var builder = RoleHost.CreateBuilder(configuration, listen: null, logging);
        var endpoints = new ListenEndpoints();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            endpoints.Api = Listen(kestrel, options.Listen, _ => { });
            if (options.Proxy is not null)
            {
                // Connections to the balancer's port are marked, so one host serves both without mixing their routes.
                endpoints.Proxy = Listen(kestrel, options.Proxy, listen => listen.Use(next => connection =>
                {
                    connection.Items[ProxyConnection] = true;
                    return next(connection);
                }));
            }
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton(endpoints);
        builder.Services.AddSingleton<AccessCheck>();
        builder.Services.AddSingleton<ServerRegistry>();
        builder.Services.AddSingleton<CoordinatorMetrics>();
        builder.Services.AddHostedService<SilenceWatch>();
        builder.Services.AddSingleton(scores);
        builder.Services.AddSingleton<CatalogGatherer>();
        builder.Services.AddSingleton<ScoreKeeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ScoreKeeper>());
        if (options.NginxConf is not null)
        {
            builder.Services.AddSingleton<NginxFileKeeper>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<NginxFileKeeper>());
        }
        if (options.Proxy is not null)
        {
            builder.Services.AddHttpForwarder();
            builder.Services.AddSingleton<BuiltInProxy>();
        }
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(CoordinatorMetrics.MeterName).AddPrometheusExporter());

        var app = builder.Build();
        try
        {
            app.Services.GetService<NginxFileKeeper>()?.Prepare();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidSettingsException([$"Coordinator:NginxConf (--nginx-conf) '{options.NginxConf}': {e.Message}"]);
        }

        if (app.Services.GetService<BuiltInProxy>() is { } proxy)
        {
            app.MapWhen(IsProxyConnection, branch => branch.Run(proxy.HandleAsync));
        }
        app.UseStatusCodePages(context => Problem.ForStatus(context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        app.MapHeartbeats();
        app.MapDashboard();
        app.MapScores();
        app.MapPrometheusScrapingEndpoint();

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MediaFleet.Coordinator");
            if (auth.InsecureNoAuth && string.IsNullOrEmpty(auth.Token))
            {
                Log.InsecureNoAuth(logger);
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

    /// <summary>Listens on an http URL's address and port: an IP address, <c>localhost</c>, or <c>*</c>/<c>+</c> for every address.</summary>
    private static ListenOptions Listen(KestrelServerOptions kestrel, string url, Action<ListenOptions> configure)
    {
        var uri = new Uri(url);
        ListenOptions? chosen = null;
        void Keep(ListenOptions listen)
        {
            chosen ??= listen;
            configure(listen);
        }
        var host = uri.Host.Trim('[', ']');
        if (host is "localhost")
        {
            kestrel.Listen(IPAddress.Loopback, uri.Port, Keep);
        }
        else if (host is "*" or "+" or "0.0.0.0")
        {
            kestrel.ListenAnyIP(uri.Port, Keep);
        }
        else if (IPAddress.TryParse(host, out var address))
        {
            kestrel.Listen(address, uri.Port, Keep);
        }
        else
        {
            throw new InvalidSettingsException([$"'{url}': listen on an IP address, localhost or * (not the host name '{uri.Host}')"]);
        }
        return chosen!;
    }

    /// <summary>The two listeners, kept to learn their real ports after binding.</summary>
    internal sealed class ListenEndpoints
    {
        public ListenOptions? Api { get; set; }

        public ListenOptions? Proxy { get; set; }

        public string? ApiUrl => Api is null ? null : "http://" + Format(Api.IPEndPoint!);

        public string? ProxyUrl => Proxy is null ? null : "http://" + Format(Proxy.IPEndPoint!);

        private static string Format(IPEndPoint endPoint) => endPoint.Address.Equals(IPAddress.IPv6Any) ? $"[::]:{endPoint.Port}" : endPoint.ToString();
    }
}
