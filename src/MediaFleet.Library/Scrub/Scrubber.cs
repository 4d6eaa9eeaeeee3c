using System.Security.Cryptography;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Files;
using MediaFleet.Library.Store;

namespace MediaFleet.Library.Scrub;

/// <summary>What a check of one copy found.</summary>
public enum CheckOutcome
{
    /// <summary>The bytes hash to the catalog's digest.</summary>
    Good,

    /// <summary>
    /// They do not (or the file is gone, has another size, cannot be read or is not a regular file): quarantined, or
    /// kept in place when it cannot be moved, and listed for healing.
    /// </summary>
    Bad,

    /// <summary>The file was replaced while it was read; the newer write is checked another time.</summary>
    Changed,
}

/// <summary>One checked copy, as verify and the scrubber report it.</summary>
public sealed record CheckResult(string Path, CheckOutcome Outcome, string Detail, long Bytes);

/// <summary>
/// Re-hashes copies against the catalog (DESIGN.md section 7): a cheap stat first (a different size is bad without
/// reading a byte), then SHA-256 within an optional I/O budget. A good copy gets a new <c>verified_at</c>; a bad one is
/// quarantined by the store. No HTTP here; the node's scrub service and <c>POST /v1/verify</c> drive it.
/// </summary>
public sealed class Scrubber(LibraryStore store, TimeProvider time)
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// The copies due for a scheduled check, in DESIGN.md's order: never verified, newest first; then the oldest
    /// <c>verified_at</c>; a copy verified less than <paramref name="checkTtl"/> ago waits. A copy whose size or
    /// modification time no longer matches the catalog goes first, whatever its age; then the due copies of
    /// <paramref name="urgent"/> paths (files the preservation score wants repaired).
    /// </summary>
    public IReadOnlyList<FileEntry> Due(TimeSpan checkTtl, DateTimeOffset now, IReadOnlySet<string>? urgent = null)
    {
        var changed = new List<FileEntry>();
        var due = new List<FileEntry>();
        foreach (var entry in store.Catalog.ListFiles())
        {
            if (entry.State != FileState.Ok)
            {
                continue;
            }
            if (StatDiffers(entry))
            {
                changed.Add(entry);
            }
            else if (entry.VerifiedAt is not { } at || now - at >= checkTtl)
            {
                due.Add(entry);
            }
        }
        due.Sort(static (a, b) => (a.VerifiedAt, b.VerifiedAt) switch
        {
            (null, null) => b.Version.CompareTo(a.Version),
            (null, _) => -1,
            (_, null) => 1,
            var (x, y) => x.Value.CompareTo(y.Value),
        });
        if (urgent is { Count: > 0 })
        {
            // A stable partition: urgent copies first, each part in the order above.
            due = [.. due.Where(e => urgent.Contains(e.Path)), .. due.Where(e => !urgent.Contains(e.Path))];
        }
        return [.. changed, .. due];
    }

    /// <summary>
    /// Checks one copy now; a bad one is quarantined before this returns. A copy that cannot be read (EIO, EACCES, a
    /// FIFO or a folder where the file should be) is a bad copy too, never an exception. <paramref name="read"/> hears
    /// of every chunk as it is read, so a rate shows between files too.
    /// </summary>
    public async Task<CheckResult> CheckAsync(FileEntry entry, TokenBucket? budget, CancellationToken cancellationToken, Action<int>? read = null)
    {
        var opened = CopyReader.Open(Path.Combine(store.Root.FullPath, entry.Path));
        if (opened.Handle is not { } handle)
        {
            return await BadAsync(entry, opened.Detail, 0, cancellationToken).ConfigureAwait(false);
        }
        Sha256Digest digest;
        long total = 0;
        using (handle)
        {
            if (opened.Length != entry.Size)
            {
                return await BadAsync(entry, $"{opened.Length} bytes on disk, the catalog says {entry.Size}", 0, cancellationToken).ConfigureAwait(false);
            }
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkBytes);
            try
            {
                // Plain blocking reads of 1 MiB: on Linux an "asynchronous" file read is a blocking one on another pool
                // thread anyway, so this saves a thread hop per chunk; the scrub is one background loop.
                int n;
                while ((n = RandomAccess.Read(handle, buffer.AsSpan(0, ChunkBytes), total)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    hash.AppendData(buffer, 0, n);
                    total += n;
                    read?.Invoke(n);
                    if (budget is not null)
                    {
                        await budget.TakeAsync(n, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (CopyReader.IsReadFault(e))
            {
                return await BadAsync(entry, CopyReader.Unreadable(e), total, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
            digest = Sha256Digest.FromBytes(hash.GetHashAndReset());
        }
        if (digest != entry.Sha256)
        {
            return await BadAsync(entry, $"its bytes hash to {digest.Hex}, the catalog says {entry.Sha256.Hex}", total, cancellationToken).ConfigureAwait(false);
        }
        return await store.RecordVerifiedAsync(entry, time.GetUtcNow(), cancellationToken).ConfigureAwait(false)
            ? new CheckResult(entry.Path, CheckOutcome.Good, "ok", total)
            : new CheckResult(entry.Path, CheckOutcome.Changed, "replaced while it was read", total);
    }

    private async Task<CheckResult> BadAsync(FileEntry entry, string finding, long read, CancellationToken cancellationToken)
    {
        var quarantined = await store.QuarantineAsync(entry, finding, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return quarantined is null
            ? new CheckResult(entry.Path, CheckOutcome.Changed, "replaced while it was read", read)
            : new CheckResult(entry.Path, CheckOutcome.Bad, finding, read);
    }

    /// <summary>The cheap pass: size or modification time differ from what the catalog recorded.</summary>
    private bool StatDiffers(FileEntry entry)
    {
        var info = new FileInfo(Path.Combine(store.Root.FullPath, entry.Path));
        return !info.Exists || info.Length != entry.Size || Math.Abs((info.LastWriteTimeUtc - entry.Modified.UtcDateTime).TotalSeconds) >= 1;
    }
}
