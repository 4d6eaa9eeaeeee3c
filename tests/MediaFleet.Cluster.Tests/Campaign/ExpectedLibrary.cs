namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>
/// What the primary must hold after the writer's work, as far as its answers tell: for every path the digests it may
/// hold (null: absent). An acknowledged put, delete or move leaves one possibility; a write whose answer never came
/// (the primary died mid-request) may or may not have happened, so it adds one.
/// </summary>
internal sealed class ExpectedLibrary
{
    private readonly Dictionary<string, HashSet<string?>> _possible = new(StringComparer.Ordinal);

    /// <summary>Paths that may hold a file now.</summary>
    public IEnumerable<string> MaybePresent => _possible.Where(p => p.Value.Any(v => v is not null)).Select(p => p.Key);

    public IEnumerable<string> Paths => _possible.Keys;

    public IReadOnlySet<string?> Possible(string path) => _possible.TryGetValue(path, out var set) ? set : new HashSet<string?> { null };

    /// <summary>The one digest (or null: absent) the path must have, or false when an unanswered write leaves a choice.</summary>
    public bool TryCertain(string path, out string? sha256)
    {
        var possible = Possible(path);
        sha256 = possible.FirstOrDefault();
        return possible.Count == 1;
    }

    public void Put(string path, string sha256, bool acknowledged) => Set(path, acknowledged ? [sha256] : [.. Possible(path), sha256]);

    public void Delete(string path, bool acknowledged) => Set(path, acknowledged ? [null] : [.. Possible(path), null]);

    /// <summary>A move: acknowledged, the target holds what the source may have held; unanswered, either may be so.</summary>
    public void Move(string from, string to, bool acknowledged)
    {
        var moved = Possible(from).Where(v => v is not null).ToList();
        if (acknowledged)
        {
            Set(to, moved.Count > 0 ? [.. moved] : [null]);
            Set(from, [null]);
        }
        else
        {
            Set(to, [.. Possible(to), .. moved]);
            Set(from, [.. Possible(from), null]);
        }
    }

    private void Set(string path, HashSet<string?> possible) => _possible[path] = possible;
}
