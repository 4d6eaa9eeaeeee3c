using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;

namespace MediaFleet.Hosting.Systemd;

/// <summary>
/// <c>READY=1</c> (with a <c>STATUS=</c> line of the bound URLs, shown by <c>systemctl status</c>) when the host has
/// started, <c>STOPPING=1</c> when it begins to stop.
/// </summary>
/// <remarks>
/// ApplicationStarted fires after every hosted service started, Kestrel's among them: the role listens and answers
/// <c>/healthz</c> before systemd counts it as started and starts the units ordered after it.
/// </remarks>
internal sealed class ReadinessNotifications(NotifySocket socket, IHostApplicationLifetime lifetime, IServer server) : IHostedService, IDisposable
{
    private CancellationTokenRegistration _started;
    private CancellationTokenRegistration _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = lifetime.ApplicationStarted.Register(() =>
        {
            var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            socket.Send(urls.Count == 0 ? "READY=1" : "READY=1\nSTATUS=serving on " + string.Join(' ', urls));
        });
        _stopping = lifetime.ApplicationStopping.Register(() => socket.Send("STOPPING=1"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _started.Dispose();
        _stopping.Dispose();
    }
}
