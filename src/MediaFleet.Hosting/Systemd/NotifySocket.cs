using System.Net.Sockets;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Hosting.Systemd;

/// <summary>Sends sd_notify states (one datagram to <c>NOTIFY_SOCKET</c> each); a failed send is logged, never thrown.</summary>
internal sealed class NotifySocket(ISystemdNotifier notifier, ILogger<NotifySocket> logger)
{
    /// <summary>Sends <paramref name="state"/>: newline-separated <c>KEY=value</c> lines such as <c>READY=1</c>.</summary>
    public void Send(string state)
    {
        try
        {
            notifier.Notify(new ServiceState(state));
        }
        catch (SocketException e)
        {
            // A service manager that went away (or a socket path that was wrong) must not stop a role that serves.
            Log.NotifyFailed(logger, state.Split('\n')[0], e.Message);
        }
    }
}
