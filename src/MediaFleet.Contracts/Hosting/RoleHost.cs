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
    /// Runs a role until it stops (SIGTERM, Ctrl-C, or a background service that died), like <c>RunAsync</c> but
    /// without disposing it; then <see cref="BackgroundFailure"/>: null after a clean stop, else what failed, so the
    /// role's command can exit non-zero.
    /// </summary>
    public static async Task<string?> RunUntilStoppedAsync(WebApplication app)
    {
        await app.StartAsync().ConfigureAwait(false);
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return BackgroundFailure(app.Services);
    }

    /// <summary>
    /// After the host stopped: the first background service that ended with an exception, as "Name failed: error",
    /// or null when none did. The host stops itself when a service fails; this lets the role's command exit non-zero
    /// instead of looking like a clean stop.
    /// </summary>
    public static string? BackgroundFailure(IServiceProvider services) =>
        services.GetServices<IHostedService>()
            .OfType<BackgroundService>()
            .Where(service => service.ExecuteTask is { IsFaulted: true })
            .Select(service => $"{service.GetType().Name} failed: {service.ExecuteTask!.Exception!.GetBaseException().Message}")
            .FirstOrDefault();
}
