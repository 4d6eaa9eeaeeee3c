using System.Globalization;
using MediaFleet.Library.Digests;

namespace MediaFleet.Library.Catalog;

/// <summary>The cluster-wide data version: assigned by the primary, strictly increasing.</summary>
public readonly record struct DataVersion(long Value) : IComparable<DataVersion>
{
    public static readonly DataVersion Zero = new(0);

    public DataVersion Next() => new(Value + 1);

    public int CompareTo(DataVersion other) => Value.CompareTo(other.Value);

    public static bool operator <(DataVersion a, DataVersion b) => a.Value < b.Value;
    public static bool operator >(DataVersion a, DataVersion b) => a.Value > b.Value;
    public static bool operator <=(DataVersion a, DataVersion b) => a.Value <= b.Value;
    public static bool operator >=(DataVersion a, DataVersion b) => a.Value >= b.Value;

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What a change did: the <c>op</c> column of the changelog.</summary>
public enum ChangeOp
{
    Put,
    Delete,
    Move,
}

/// <summary>Health of a copy: the <c>state</c> column of <c>files</c>.</summary>
public enum FileState : byte
{
    Ok,
    Corrupt,
    Missing,
}

/// <summary>One changelog entry.</summary>
public sealed record ChangeEntry(DataVersion Version, ChangeOp Op, string Path, string? To, Sha256Digest? Sha256, long? Size, DateTimeOffset At);

/// <summary>
/// One file this node holds, as the catalog records it. The in-memory index keeps one per file, so its times are kept
/// as Unix milliseconds (the catalog's precision) rather than as <see cref="DateTimeOffset"/>s.
/// </summary>
public sealed record FileEntry
{
    private const long Never = long.MinValue;
    private readonly long _modified;
    private readonly long _verifiedAt = Never;

    public FileEntry(string path, Sha256Digest sha256, long size, DataVersion version, DateTimeOffset modified, DateTimeOffset? verifiedAt, FileState state)
    {
        Path = path;
        Sha256 = sha256;
        Size = size;
        Version = version;
        Modified = modified;
        VerifiedAt = verifiedAt;
        State = state;
    }

    public string Path { get; init; }

    public Sha256Digest Sha256 { get; init; }

    public long Size { get; init; }

    public DataVersion Version { get; init; }

    /// <summary>The file's modification time (to the millisecond).</summary>
    public DateTimeOffset Modified
    {
        get => DateTimeOffset.FromUnixTimeMilliseconds(_modified);
        init => _modified = value.ToUnixTimeMilliseconds();
    }

    /// <summary>When a re-hash last matched (to the millisecond); null when never.</summary>
    public DateTimeOffset? VerifiedAt
    {
        get => _verifiedAt == Never ? null : DateTimeOffset.FromUnixTimeMilliseconds(_verifiedAt);
        init => _verifiedAt = value?.ToUnixTimeMilliseconds() ?? Never;
    }

    public FileState State { get; init; }

    /// <summary>The HTTP entity tag: the quoted sha256 hex (computed on first use; a copy made by <c>with</c> shares the digest).</summary>
    public string ETag => field ??= "\"" + Sha256.Hex + "\"";

    /// <summary>The <c>Repr-Digest</c> header value (computed once, on first use).</summary>
    public string ReprDigest => field ??= Sha256.ToHeaderValue();

    /// <summary>The <c>Last-Modified</c> header value (computed once, on first use).</summary>
    public string LastModified => field ??= Modified.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);
}

/// <summary>A file this node should hold and does not yet: a row of <c>missing</c>.</summary>
public sealed record MissingEntry(string Path, DataVersion Version, Sha256Digest? Sha256, string Reason, int Attempts, DateTimeOffset? NextTryAt);

internal static class EntryText
{
    public static string ToText(this ChangeOp op) => op switch
    {
        ChangeOp.Put => "put",
        ChangeOp.Delete => "delete",
        ChangeOp.Move => "move",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static ChangeOp ParseOp(string text) => text switch
    {
        "put" => ChangeOp.Put,
        "delete" => ChangeOp.Delete,
        "move" => ChangeOp.Move,
        _ => throw new FormatException($"unknown change op '{text}'"),
    };

    public static string ToText(this FileState state) => state switch
    {
        FileState.Ok => "ok",
        FileState.Corrupt => "corrupt",
        FileState.Missing => "missing",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static FileState ParseState(string text) => text switch
    {
        "ok" => FileState.Ok,
        "corrupt" => FileState.Corrupt,
        "missing" => FileState.Missing,
        _ => throw new FormatException($"unknown file state '{text}'"),
    };

    public static string ToText(this DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Reads <see cref="ToText(DateTimeOffset)"/>'s spelling fast (a catalog holds a million), anything else as ISO 8601.</summary>
    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
