using System.Globalization;
using Microsoft.Extensions.Hosting;

namespace MediaFleet.Hosting.Systemd;

/// <summary>
/// Sends <c>WATCHDOG=1</c> every half of <c>WATCHDOG_USEC</c> (systemd sets it from <c>WatchdogSec=</c>) until the host
/// stops: a role whose thread pool or timers hang is killed and restarted by systemd.
/// </summary>
internal sealed class SystemdWatchdog(NotifySocket socket, TimeSpan interval, TimeProvider time) : BackgroundService
{
    /// <summary>Bounds of the interval: PeriodicTimer needs at least 1 ms; an hour keeps a huge timeout meaningful.</summary>
    private static readonly TimeSpan Shortest = TimeSpan.FromMilliseconds(1), Longest = TimeSpan.FromHours(1);

    /// <summary>
    /// How often to send <c>WATCHDOG=1</c>, or null when no watchdog is asked of this process: <c>WATCHDOG_USEC</c> is
    /// absent or not a positive number, or <c>WATCHDOG_PID</c> names another process (an inherited environment:
    /// sd_watchdog_enabled(3) says only that process should send). Half the timeout, as sd_watchdog_enabled(3) advises.
    /// </summary>
    public static TimeSpan? IntervalFrom(string? watchdogUsec, string? watchdogPid, int processId)
    {
        if (!ulong.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds == 0)
        {
            return null;
        }
        if (!string.IsNullOrEmpty(watchdogPid) && !(int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid == processId))
        {
            return null;
        }
        var half = microseconds / 2 >= (ulong)Longest.TotalMicroseconds ? Longest : TimeSpan.FromMicroseconds((long)(microseconds / 2));
        return half < Shortest ? Shortest : half;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                socket.Send("WATCHDOG=1");
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host stops: systemd stops watching at STOPPING=1.
        }
    }
}
