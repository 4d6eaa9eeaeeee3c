namespace MediaFleet.Conversion.Client;

/// <summary>A file as one scan of a watched folder saw it.</summary>
public readonly record struct FileSnapshot(string Path, long Size, DateTimeOffset Modified);

/// <summary>
/// Which files of a watched folder have stopped changing: a file is settled once this watch has seen the same size and
/// mtime for <c>settle</c>, counted from its own observations (never from the mtime alone, which a copy may preserve),
/// so a file still being written is never taken. Pure: the caller scans and passes the time.
/// </summary>
public sealed class SettledFiles(TimeSpan settle)
{
    private readonly Dictionary<string, (long Size, DateTimeOffset Modified, DateTimeOffset Since)> _seen = new(StringComparer.Ordinal);

    /// <summary>Takes one scan; returns the files that have been unchanged for the settle time, in path order.</summary>
    public IReadOnlyList<FileSnapshot> Observe(IEnumerable<FileSnapshot> scan, DateTimeOffset now)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        var settled = new List<FileSnapshot>();
        foreach (var file in scan)
        {
            present.Add(file.Path);
            if (!_seen.TryGetValue(file.Path, out var seen) || seen.Size != file.Size || seen.Modified != file.Modified)
            {
                _seen[file.Path] = (file.Size, file.Modified, now);
                continue;
            }
            if (now - seen.Since >= settle)
            {
                settled.Add(file);
            }
        }
        // A file that went away starts over if it comes back.
        foreach (var gone in _seen.Keys.Where(p => !present.Contains(p)).ToList())
        {
            _seen.Remove(gone);
        }
        settled.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return settled;
    }
}
