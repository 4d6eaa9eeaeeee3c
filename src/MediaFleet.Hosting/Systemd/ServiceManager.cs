using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Systemd;

namespace MediaFleet.Hosting.Systemd;

/// <summary>
/// What a role tells the service manager that started it, over the sd_notify protocol (systemd Type=notify):
/// <c>READY=1</c> once it serves, <c>STOPPING=1</c> when it begins to stop, <c>WATCHDOG=1</c> while it runs when
/// <c>WatchdogSec=</c> asked for it. See sd_notify(3) and systemd.service(5).
/// </summary>
internal static class ServiceManager
{
    /// <summary>
    /// Adds the notifications whenever <c>NOTIFY_SOCKET</c> is set. <c>UseSystemd()</c> alone would send them only when
    /// its parent process is named systemd (or it runs as PID 1 in a container): not under a wrapper (strace, a shell
    /// that does not exec), another supervisor speaking the protocol, or a test; and under systemd it would swap in a
    /// host lifetime that leaves SIGINT to the runtime. The socket in the environment is the whole protocol, and
    /// systemd decides by <c>NotifyAccess=</c> whose messages it believes; so one path serves production and tests.
    /// </summary>
    public static void Add(IServiceCollection services)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")))
        {
            return;
        }
        services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddSingleton<NotifySocket>();
        services.AddHostedService<ReadinessNotifications>();
        var interval = SystemdWatchdog.IntervalFrom(
            Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId);
        if (interval is { } every)
        {
            services.AddHostedService(sp => new SystemdWatchdog(sp.GetRequiredService<NotifySocket>(), every, sp.GetRequiredService<TimeProvider>()));
        }
    }
}
