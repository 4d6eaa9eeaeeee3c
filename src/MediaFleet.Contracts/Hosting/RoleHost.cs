using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Contracts.Hosting;

/// <summary>What every role's web host shares: Kestrel settings, systemd, one-line console logs.</summary>
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
        builder.Host.UseSystemd();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning); // one line per proxied request otherwise
        logging?.Invoke(builder.Logging);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        return builder;
    }

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
        await host.RunAsync().ConfigureAwait(false);
        return [.. background
            .Where(s => s.ExecuteTask is { IsFaulted: true })
            .Select(s => $"{s.GetType().Name}: {s.ExecuteTask!.Exception!.GetBaseException().Message}")];
    }
}
