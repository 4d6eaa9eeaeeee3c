namespace MediaFleet.Library.Paths;

/// <summary>The library folder on disk and the mapping of library paths onto it, symlinks included.</summary>
public sealed class LibraryRoot
{
    public LibraryRoot(string folder)
    {
        FullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        StateFolder = Path.Combine(FullPath, LibraryPath.StateFolder);
        TempFolder = Path.Combine(StateFolder, "tmp");
        QuarantineFolder = Path.Combine(StateFolder, "quarantine");
    }

    public string FullPath { get; }

    public string StateFolder { get; }

    public string TempFolder { get; }

    public string QuarantineFolder { get; }

    public string CatalogFile => Path.Combine(StateFolder, "catalog.db");

    /// <summary>Where a library path lives on disk, without any check of the folders on the way.</summary>
    public string PhysicalPath(LibraryPath path) => Path.Combine(FullPath, path.Value);

    /// <summary>
    /// Whether every existing component of the path resolves inside the root, so a symlink planted in the
    /// library cannot lead a read or a write outside it. Components that do not exist yet are fine.
    /// </summary>
    public bool StaysInside(LibraryPath path) => StaysInside(path.Value);

    /// <summary>Whether the folders of the path (every component but its last) resolve inside the root, as <see cref="StaysInside(LibraryPath)"/>.</summary>
    public bool FoldersStayInside(LibraryPath path)
    {
        var last = path.Value.LastIndexOf('/');
        return last < 0 || StaysInside(path.Value[..last]);
    }

    private bool StaysInside(string relative)
    {
        var current = FullPath;
        foreach (var segment in relative.Split('/'))
        {
            current = Path.Combine(current, segment);
            // One system call per component (a file or a folder alike): the check runs for every file a follower
            // provisions or keeps, where an lstat and a geteuid per component were a tenth of its CPU (issue 12).
            switch (SymbolicLinks.Probe(current))
            {
                case LinkKind.Absent:
                    return true;
                case LinkKind.Link:
                    var target = new FileInfo(current).ResolveLinkTarget(returnFinalTarget: true);
                    if (target is null || !IsInside(target.FullName))
                    {
                        return false;
                    }
                    break;
            }
        }
        return true;
    }

    private bool IsInside(string fullName)
    {
        var full = Path.GetFullPath(fullName);
        return full.StartsWith(FullPath + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            && !full.StartsWith(StateFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            && full != StateFolder;
    }

    /// <summary>The library path of a file found on disk, or null when it is not a valid library path.</summary>
    public LibraryPath? ToLibraryPath(string physicalPath)
    {
        var relative = Path.GetRelativePath(FullPath, physicalPath).Replace(Path.DirectorySeparatorChar, '/');
        return LibraryPath.TryParse(relative, out var path, out _) ? path : null;
    }
}
