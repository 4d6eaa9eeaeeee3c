using System.Globalization;

namespace MediaFleet.Hosting.Systemd;

/// <summary>Whether standard output goes to journald, which stamps and stores each line itself.</summary>
internal static class JournalStream
{
    /// <summary>
    /// True when <c>JOURNAL_STREAM</c> names the socket on file descriptor 1. systemd sets it for a service whose output
    /// goes to the journal; a process started from such a service inherits the variable but may write elsewhere (a
    /// pipe to its parent), so the variable alone is not enough (systemd.exec(5), "$JOURNAL_STREAM").
    /// </summary>
    public static bool IsStandardOutput()
    {
        var variable = Environment.GetEnvironmentVariable("JOURNAL_STREAM");
        if (string.IsNullOrEmpty(variable))
        {
            return false;
        }
        try
        {
            return Matches(variable, new FileInfo("/proc/self/fd/1").LinkTarget);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether <paramref name="journalStream"/> (<c>DEVICE:INODE</c>, decimal) names the socket that
    /// <c>/proc/self/fd/1</c> links to (<c>socket:[INODE]</c>). The journal's stream is always a socket, and every
    /// socket lives on the one sockfs device, so the inode alone decides.
    /// </summary>
    public static bool Matches(string? journalStream, string? standardOutputTarget)
    {
        if (journalStream?.Split(':') is not [{ Length: > 0 } device, { Length: > 0 } inode]
            || !ulong.TryParse(device, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            || !ulong.TryParse(inode, NumberStyles.None, CultureInfo.InvariantCulture, out var expected))
        {
            return false;
        }
        const string Prefix = "socket:[";
        return standardOutputTarget is not null
            && standardOutputTarget.StartsWith(Prefix, StringComparison.Ordinal)
            && standardOutputTarget.EndsWith(']')
            && ulong.TryParse(standardOutputTarget.AsSpan(Prefix.Length, standardOutputTarget.Length - Prefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var actual)
            && actual == expected;
    }
}
