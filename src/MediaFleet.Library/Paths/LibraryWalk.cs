namespace MediaFleet.Library.Paths;

/// <summary>A regular file found in the library folder, with its library path.</summary>
public sealed record FoundFile(LibraryPath Path, string FullName, long Length, DateTimeOffset Modified);

/// <summary>Walks the library folder: regular files only, never into <c>.mfleet</c>, never through symlinks.</summary>
public static class LibraryWalk
{
    public static IEnumerable<FoundFile> Files(LibraryRoot root, string start, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(start))
        {
            yield break;
        }
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        foreach (var info in new DirectoryInfo(start).EnumerateFiles("*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (root.ToLibraryPath(info.FullName) is { } path)
            {
                yield return new FoundFile(path, info.FullName, info.Length, info.LastWriteTimeUtc);
            }
        }
    }

    /// <summary>Whether a file is a seed-style checksum sidecar, <c>.&lt;name&gt;.sha1</c> beside <c>&lt;name&gt;</c>.</summary>
    public static bool IsSidecar(string fullName)
    {
        var name = Path.GetFileName(fullName);
        return name.Length > 6 && name[0] == '.' && name.EndsWith(".sha1", StringComparison.Ordinal)
            && File.Exists(Path.Combine(Path.GetDirectoryName(fullName)!, name[1..^5]));
    }

    /// <summary>The sidecar path that would hold the SHA-1 of <paramref name="fullName"/>.</summary>
    public static string SidecarOf(string fullName) =>
        Path.Combine(Path.GetDirectoryName(fullName)!, "." + Path.GetFileName(fullName) + ".sha1");
}
