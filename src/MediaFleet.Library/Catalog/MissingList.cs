using System.Collections.Concurrent;

namespace MediaFleet.Library.Catalog;

/// <summary>The <c>missing</c> table in memory: read-through asks it on every miss, data_version on every publish.</summary>
internal sealed class MissingList
{
    private readonly ConcurrentDictionary<string, MissingEntry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public bool IsEmpty => _entries.IsEmpty;

    public MissingEntry? Find(string path) => _entries.GetValueOrDefault(path);

    public void Set(MissingEntry entry) => _entries[entry.Path] = entry;

    public void Remove(string path) => _entries.TryRemove(path, out _);

    /// <summary>The oldest version listed (null when nothing is missing).</summary>
    public long? OldestVersion => _entries.IsEmpty ? null : _entries.Values.Min(m => m.Version.Value);

    /// <summary>Every entry, oldest version first.</summary>
    public IReadOnlyList<MissingEntry> List() =>
        _entries.Values.OrderBy(m => m.Version).ThenBy(m => m.Path, StringComparer.Ordinal).ToList();
}
