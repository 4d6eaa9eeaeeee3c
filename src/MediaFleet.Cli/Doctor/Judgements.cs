using System.Globalization;
using MediaFleet.Cli.Commands;

namespace MediaFleet.Cli.Doctor;

/// <summary>The rules of <c>mfleet doctor</c> that need no disk, socket or process: tested with tables of cases.</summary>
internal static class Judgements
{
    /// <summary>Clocks further apart than this fail: logs, last_seen and certificates stop lining up.</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Compares this machine's clock with the HTTP <c>Date</c> of an answer (RFC 9110 section 6.6.1, whole seconds:
    /// a clock in step reads up to a second ahead of it, plus the answer's travel time).
    /// </summary>
    public static Finding Clock(string check, string url, DateTimeOffset? remote, DateTimeOffset sentAt, DateTimeOffset receivedAt)
    {
        if (remote is not { } date)
        {
            return Finding.Warn(check, $"{url} sent no Date header to compare clocks with");
        }
        // The remote clock was read between sending and receiving: the skew is within [date - received, date + 1 s - sent].
        var behind = date - receivedAt;
        var ahead = date.AddSeconds(1) - sentAt;
        var skew = behind > TimeSpan.Zero ? behind : ahead < TimeSpan.Zero ? ahead : TimeSpan.Zero;
        var seconds = Math.Abs(skew.TotalSeconds).ToString("0", CultureInfo.InvariantCulture);
        if (skew.Duration() < TimeSpan.FromSeconds(1))
        {
            return Finding.Ok(check, $"in step with {url} (within a second)");
        }
        if (skew.Duration() <= ClockTolerance)
        {
            return Finding.Ok(check, $"this machine's clock is {seconds} s {(skew > TimeSpan.Zero ? "behind" : "ahead of")} {url}'s (within {ClockTolerance.TotalSeconds:0} s)");
        }
        return Finding.Fail(check, $"this machine's clock is {seconds} s {(skew > TimeSpan.Zero ? "behind" : "ahead of")} {url}'s: keep both in step (NTP, timedatectl)");
    }

    /// <summary>
    /// Whether the file holding the token is kept from other users: readable by every user fails (chmod 600, or 640 with
    /// the service's group).
    /// </summary>
    public static Finding Secrecy(string check, string path, UnixFileMode mode)
    {
        var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
        return (mode & UnixFileMode.OtherRead) != 0
            ? Finding.Fail(check, $"{path} holds it and is readable by every user (mode {octal}): chmod 600 it, or 640 with the service's group")
            : Finding.Ok(check, $"set, in {path} (mode {octal}, not readable by other users)");
    }

    /// <summary>Free space against what the role keeps free: below it, writes are refused (507) or leases not taken.</summary>
    public static Finding Space(string check, string folder, long free, long reserve, string setting) =>
        free < reserve
            ? Finding.Fail(check, $"{Common.Size(free)} free on {folder}, less than {setting} {Common.Size(reserve)}: writes are refused until there is room")
            : Finding.Ok(check, $"{Common.Size(free)} free on {folder} ({setting} {Common.Size(reserve)})");
}
