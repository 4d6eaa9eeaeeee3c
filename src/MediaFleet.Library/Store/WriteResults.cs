using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;

namespace MediaFleet.Library.Store;

/// <summary>How a write ended; every expected failure is a value here, not an exception.</summary>
public enum WriteStatus
{
    Created,
    Replaced,
    Unchanged,
    Deleted,
    Moved,
    NotFound,
    InvalidPath,
    DigestMismatch,
    PreconditionFailed,
    InsufficientStorage,
    Truncated,
    /// <summary>The request promised a digest (a <c>Trailer</c> naming one) that did not arrive, or arrived malformed.</summary>
    DigestMissing,
}

/// <summary>The result of a put, delete or move.</summary>
public sealed record WriteResult(WriteStatus Status, FileEntry? Entry = null, DataVersion? Version = null, string? Detail = null)
{
    public bool Succeeded => Status is WriteStatus.Created or WriteStatus.Replaced or WriteStatus.Unchanged or WriteStatus.Deleted or WriteStatus.Moved;
}

/// <summary>The HTTP preconditions of a write (RFC 9110 section 13): <c>If-Match</c> and <c>If-None-Match: *</c>.</summary>
public sealed record WriteCondition(bool IfNoneMatchAny, IReadOnlyList<string>? IfMatch)
{
    public static readonly WriteCondition None = new(false, null);

    /// <summary>Whether the condition holds for the file currently at the path (null when there is none).</summary>
    public bool HoldsFor(FileEntry? current)
    {
        if (IfNoneMatchAny && current is not null)
        {
            return false;
        }
        if (IfMatch is { } tags)
        {
            if (current is null)
            {
                return false;
            }
            // RFC 9110 section 13.1.1: If-Match uses the strong comparison, so a weak tag never matches.
            return tags.Any(t => t == "*" || t == current.ETag);
        }
        return true;
    }
}

/// <summary>A transfer complete in its partial file with <see cref="Sha256"/> checked on the way, to install as <see cref="Version"/>.</summary>
/// <param name="Modified">The partial's modification time, read on its open handle after the last write (a rename keeps
/// it); default: read from the installed file.</param>
public sealed record VerifiedTransfer(LibraryPath Path, string Partial, Sha256Digest Sha256, long Size, DataVersion Version, DateTimeOffset Modified = default);
