using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;

namespace MediaFleet.Library.Adopt;

/// <summary>What happened to one file during adopt, or the final tally.</summary>
public enum AdoptEventKind
{
    Adopted,
    Mismatch,
    Skipped,
    Done,
}

/// <summary>One line of adopt's progress (the route streams these as NDJSON).</summary>
public sealed record AdoptEvent(AdoptEventKind Kind, string? Path, long Done, long Total, long? Version = null, string? Sha256 = null, string? Detail = null);

/// <summary>
/// Brings files already in the library folder into the catalog in place: hashes each unknown file (SHA-256, and
/// SHA-1 when a seed-style <c>.&lt;name&gt;.sha1</c> sidecar is beside it), records it as a put, never moves or rewrites it.
/// </summary>
public sealed class Adopter(LibraryStore store)
{
    private const int BufferSize = 1 << 20;

    public async IAsyncEnumerable<AdoptEvent> AdoptAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var start = prefix.Length == 0 ? store.Root.FullPath : Path.Combine(store.Root.FullPath, prefix.TrimEnd('/'));
        var candidates = LibraryWalk.Files(store.Root, start, cancellationToken)
            .Where(f => store.Catalog.Find(f.Path.Value) is null && !LibraryWalk.IsSidecar(f.FullName))
            .ToList();
        long done = 0, adopted = 0, mismatched = 0;
        foreach (var file in candidates)
        {
            done++;
            var sidecar = LibraryWalk.SidecarOf(file.FullName);
            var expectedSha1 = File.Exists(sidecar) ? ReadSidecar(sidecar) : null;
            if (expectedSha1 is { Length: 0 })
            {
                mismatched++;
                yield return new AdoptEvent(AdoptEventKind.Mismatch, file.Path.Value, done, candidates.Count, Detail: "the .sha1 sidecar holds no SHA-1 digest");
                continue;
            }
            var (sha256, sha1, length) = await HashAsync(file.FullName, expectedSha1 is not null, cancellationToken).ConfigureAwait(false);
            if (expectedSha1 is not null && !string.Equals(sha1, expectedSha1, StringComparison.OrdinalIgnoreCase))
            {
                mismatched++;
                yield return new AdoptEvent(AdoptEventKind.Mismatch, file.Path.Value, done, candidates.Count, Sha256: sha256.Hex,
                    Detail: $"SHA-1 is {sha1}, the sidecar says {expectedSha1}");
                continue;
            }
            var entry = await store.RecordExistingAsync(file.Path, sha256, length, File.GetLastWriteTimeUtc(file.FullName), cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                yield return new AdoptEvent(AdoptEventKind.Skipped, file.Path.Value, done, candidates.Count, Detail: "already in the catalog");
                continue;
            }
            adopted++;
            yield return new AdoptEvent(AdoptEventKind.Adopted, file.Path.Value, done, candidates.Count, entry.Version.Value, sha256.Hex);
        }
        yield return new AdoptEvent(AdoptEventKind.Done, null, done, candidates.Count, store.Catalog.Version.Value,
            Detail: $"{adopted} adopted, {mismatched} mismatched");
    }

    /// <summary>The hex digest in a sidecar: its first word (sha1sum writes "digest  name"); empty when none.</summary>
    internal static string ReadSidecar(string sidecar)
    {
        var text = File.ReadAllText(sidecar).Trim();
        var word = text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        return word.Length == 40 && word.All(char.IsAsciiHexDigit) ? word.ToLowerInvariant() : "";
    }

    private static async Task<(Sha256Digest Sha256, string? Sha1, long Length)> HashAsync(string file, bool withSha1, CancellationToken cancellationToken)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha1 = withSha1 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA1) : null;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long length = 0;
        try
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                sha1?.AppendData(buffer, 0, read);
                length += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return (Sha256Digest.FromBytes(sha256.GetHashAndReset()), sha1 is null ? null : Convert.ToHexStringLower(sha1.GetHashAndReset()), length);
    }
}
