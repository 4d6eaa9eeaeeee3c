using MediaFleet.Contracts.Problems;
using System.Net;
using System.Net.Security;
using MediaFleet.Contracts.Tls;
using MediaFleet.Hosting.Systemd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Hosting;

/// <summary>What every role's web host shares: Kestrel settings, sd_notify, one-line console logs (plain under journald).</summary>
public static class RoleHost
{
    /// <summary>A slim web builder listening on <paramref name="listen"/>, with the role's configuration added.</summary>
    public static WebApplicationBuilder CreateBuilder(IConfiguration configuration, string? listen, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(configuration);
        if (listen is not null)
        {
            builder.WebHost.UseUrls(listen);
        }
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        ServiceManager.Add(builder.Services);
        builder.Logging.ClearProviders();
        if (JournalStream.IsStandardOutput())
        {
            // journald stamps each line itself and reads the "<6>" prefix as its priority; one line per entry, no colours.
            builder.Logging.AddSystemdConsole();
        }
        else
        {
            builder.Logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // While this category logs at any level, ASP.NET Core starts an Activity per request (ids, tags, the URL path)
        // for log correlation that nothing here reads; its lines are per-request Information and a start-up failure
        // that the role's command reports itself.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning); // one line per proxied request otherwise
        logging?.Invoke(builder.Logging);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddTransient<IStartupFilter, KestrelProblems.MarkRequests>();
        return builder;
    }

    /// <summary>
    /// Listens on an http or https URL's address and port: an IP address, <c>localhost</c>, or <c>*</c>/<c>+</c> for
    /// every address. An https URL serves <paramref name="certificate"/>, read afresh for each new connection when its
    /// files changed. <paramref name="configure"/> adds connection middleware, which sees the decrypted bytes.
    /// </summary>
    public static ListenOptions Listen(KestrelServerOptions kestrel, string url, ServerCertificate? certificate, Action<ListenOptions> configure)
    {
        var uri = new Uri(url);
        var https = uri.Scheme == Uri.UriSchemeHttps;
        if (https && certificate is null)
        {
            throw new InvalidSettingsException([$"'{url}' is https: give its certificate and key with --tls-cert F --tls-key F (Tls:Certificate, Tls:Key)"]);
        }
        ListenOptions? chosen = null;
        void Keep(ListenOptions listen)
        {
            chosen ??= listen;
            if (https)
            {
                certificate!.Logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("MediaFleet.Tls");
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions { ServerCertificateContext = certificate.Current }),
                });
            }
            listen.Use(KestrelProblems.Middleware);
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

    /// <summary>The URL a bound listener answers on, port 0 resolved.</summary>
    public static string UrlOf(ListenOptions listen, string configuredUrl)
    {
        var endPoint = listen.IPEndPoint!;
        var address = endPoint.Address.Equals(IPAddress.IPv6Any) ? $"[::]:{endPoint.Port}" : endPoint.ToString();
        return new Uri(configuredUrl).Scheme + "://" + address;
    }

    /// <summary>Warns that <c>--token</c> put the cluster token where ps shows it.</summary>
    public static void WarnTokenOnCommandLine(ILogger logger) => Log.TokenOnCommandLine(logger);

    /// <summary>The URLs a started host listens on, with real ports (port 0 resolved).</summary>
    public static IReadOnlyList<string> BoundUrls(IServiceProvider services) =>
        services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <summary>
    /// Runs a role's host until SIGTERM, Ctrl-C or a crash, and returns the background services that ended with an
    /// exception, each as "Name: message" (empty after a clean stop). .NET stops the host when one fails
    /// (BackgroundServiceExceptionBehavior.StopHost) but RunAsync then returns normally, so a role looks here to exit
    /// non-zero and let a supervisor (systemd Restart=on-failure) act.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RunAsync(IHost host)
    {
        // Taken before the run: RunAsync disposes the host's services when it ends.
        var background = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
        try
        {
            await host.RunAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (background.Any(s => s.ExecuteTask is { IsFaulted: true }))
        {
            // A service that failed at once stops the host while Kestrel still binds; the start then throws as cancelled.
        }
        return [.. background
            .Where(s => s.ExecuteTask is { IsFaulted: true })
            .Select(s => $"{s.GetType().Name}: {s.ExecuteTask!.Exception!.GetBaseException().Message}")];
    }
}
