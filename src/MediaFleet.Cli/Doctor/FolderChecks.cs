using MediaFleet.Library.Storage;
using MediaFleet.Library.Store;

namespace MediaFleet.Cli.Doctor;

/// <summary>A role's folder: there or creatable, writable, its temp folder on the same file system, room to spare.</summary>
internal static class FolderChecks
{
    /// <summary>
    /// Checks <paramref name="folder"/> (the role creates it at start when absent) by writing and deleting a probe file,
    /// whether <paramref name="temp"/> (where partial writes go before their rename into place) is on the same file
    /// system, and its free space against <paramref name="reserve"/>.
    /// </summary>
    public static IEnumerable<Finding> Check(string role, string what, string folder, string? temp, long reserve, string reserveSetting)
    {
        var check = $"{role} {what}";
        folder = Path.GetFullPath(folder);
        var existing = folder;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }
        var present = existing == folder;
        // Partial writes go to the temp folder when it is there; a probe file in it is what a write would make.
        var probeIn = present && temp is not null && Directory.Exists(temp) ? temp : existing;
        if (Probe(probeIn) is { } refusal)
        {
            yield return Finding.Fail(check, present
                ? $"{folder} is not writable: {refusal}"
                : $"{folder} is absent and cannot be made: {existing} is not writable: {refusal}");
            yield break;
        }
        yield return present
            ? Finding.Ok(check, $"{folder} is writable")
            : Finding.Warn(check, $"{folder} is absent: the role makes it at start ({existing} is writable)");
        if (temp is not null)
        {
            yield return SameFileSystem($"{role} {Path.GetRelativePath(folder, temp)}", folder, temp);
        }
        yield return Judgements.Space($"{role} free space", existing, Durability.FreeBytes(existing), reserve, reserveSetting);
    }

    /// <summary>Null when a file can be made, written, synced and deleted in <paramref name="folder"/>; else why not.</summary>
    public static string? Probe(string folder)
    {
        var probe = Path.Combine(folder, ".mfleet-doctor-" + Path.GetRandomFileName());
        try
        {
            using (var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
                stream.WriteByte(0);
                stream.Flush(flushToDisk: true);
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    private static Finding SameFileSystem(string check, string folder, string temp)
    {
        if (!Directory.Exists(temp))
        {
            return Finding.Ok(check, $"{temp} is made at start inside {folder}");
        }
        var (library, partial) = (FileSystems.DeviceOf(folder), FileSystems.DeviceOf(temp));
        if (library is null || partial is null)
        {
            return Finding.Warn(check, $"cannot tell which file system {temp} is on");
        }
        return library == partial
            ? Finding.Ok(check, $"{temp} is on the same file system as {folder}: finished writes are renamed into place atomically")
            : Finding.Fail(check, $"{temp} is on another file system than {folder} (a mount or a symlink): writes could not be renamed into place atomically");
    }
}
