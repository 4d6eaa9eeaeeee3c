using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading.Channels;
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

    /// <summary>
    /// Files in flight at once. Small files are bound by system calls and by the group commit that records them: each
    /// waits for the commit of its group, so with 32 in flight the hashing stopped while a group committed and adopt
    /// kept one core of two busy (with four, each commit, one WAL fsync, held four files).
    /// </summary>
    private const int Parallelism = 256;

    /// <summary>
    /// Files above <see cref="Sha256Digest.ReadInPlaceUpTo"/> (hashed in place, with a small buffer) and up to
    /// <see cref="LargeFile"/> hashed at once: each holds a buffer of up to 1 MiB.
    /// </summary>
    private const int MediumParallelism = 32;

    /// <summary>Large files hashed at once: they are bound by the disk, which many readers would only make seek.</summary>
    private static readonly int LargeParallelism = Math.Max(4, Environment.ProcessorCount * 2);

    private const long LargeFile = 1 << 20;

    public async IAsyncEnumerable<AdoptEvent> AdoptAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var start = prefix.Length == 0 ? store.Root.FullPath : Path.Combine(store.Root.FullPath, prefix.TrimEnd('/'));
        var candidates = LibraryWalk.Files(store.Root, start, cancellationToken)
            .Where(f => store.Catalog.Find(f.Path.Value) is null && !LibraryWalk.IsSidecar(f.FullName))
            .ToList();
        var total = candidates.Count;
        // Hashed in parallel, recorded through the store's group commit; the lines come in the order files finish.
        var results = Channel.CreateBounded<AdoptEvent>(new BoundedChannelOptions(Parallelism * 4) { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var medium = new SemaphoreSlim(MediumParallelism);
        using var large = new SemaphoreSlim(LargeParallelism);
        var bulk = await store.BeginBulkLoadAsync(total, cancellationToken).ConfigureAwait(false);
        var producer = Task.Run(async () =>
        {
            try
            {
                await Parallel.ForEachAsync(candidates, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stop.Token },
                    async (file, token) =>
                    {
                        var gate = file.Length > LargeFile ? large : file.Length > Sha256Digest.ReadInPlaceUpTo ? medium : null;
                        if (gate is not null)
                        {
                            await gate.WaitAsync(token).ConfigureAwait(false);
                        }
                        try
                        {
                            await results.Writer.WriteAsync(await AdoptOneAsync(file, total, token).ConfigureAwait(false), token).ConfigureAwait(false);
                        }
                        finally
                        {
                            gate?.Release();
                        }
                    })
                    .ConfigureAwait(false);
                results.Writer.Complete();
            }
            catch (Exception e)
            {
                results.Writer.Complete(e);
            }
        }, CancellationToken.None);
        long done = 0, adopted = 0, mismatched = 0;
        try
        {
            await foreach (var line in results.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                done++;
                adopted += line.Kind == AdoptEventKind.Adopted ? 1 : 0;
                mismatched += line.Kind == AdoptEventKind.Mismatch ? 1 : 0;
                yield return line with { Done = done };
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
            await bulk.DisposeAsync().ConfigureAwait(false);
        }
        // The list of a million found files is most of what adopt allocated: it goes before the memory is given back.
        candidates.Clear();
        candidates.TrimExcess();
        store.Catalog.ReleaseMemoryAfterBulkWork(done);
        yield return new AdoptEvent(AdoptEventKind.Done, null, done, total, store.Catalog.Version.Value,
            Detail: $"{adopted} adopted, {mismatched} mismatched");
    }

    /// <summary>Hashes one file (checking its sidecar) and records it; <c>Done</c> is filled in by the caller.</summary>
    private async Task<AdoptEvent> AdoptOneAsync(FoundFile file, long total, CancellationToken cancellationToken)
    {
        var sidecar = LibraryWalk.SidecarOf(file.FullName);
        var expectedSha1 = File.Exists(sidecar) ? ReadSidecar(sidecar) : null;
        if (expectedSha1 is { Length: 0 })
        {
            return new AdoptEvent(AdoptEventKind.Mismatch, file.Path.Value, 0, total, Detail: "the .sha1 sidecar holds no SHA-1 digest");
        }
        var (sha256, sha1, length) = await HashAsync(file.FullName, expectedSha1 is not null, cancellationToken).ConfigureAwait(false);
        if (expectedSha1 is not null && !string.Equals(sha1, expectedSha1, StringComparison.OrdinalIgnoreCase))
        {
            return new AdoptEvent(AdoptEventKind.Mismatch, file.Path.Value, 0, total, Sha256: sha256.Hex, Detail: $"SHA-1 is {sha1}, the sidecar says {expectedSha1}");
        }
        var entry = await store.RecordExistingAsync(file.Path, sha256, length, file.Modified, cancellationToken).ConfigureAwait(false);
        return entry is null
            ? new AdoptEvent(AdoptEventKind.Skipped, file.Path.Value, 0, total, Detail: "already in the catalog")
            : new AdoptEvent(AdoptEventKind.Adopted, file.Path.Value, 0, total, entry.Version.Value, sha256.Hex);
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
        long length = 0;
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        // A small file gets a small buffer: a library of artwork and subtitles is mostly files of a few KiB.
        var size = RandomAccess.GetLength(handle);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(size + 1, 4096, BufferSize));
        try
        {
            int read;
            while ((read = await Sha256Digest.ReadAsync(handle, buffer.AsMemory(0, Math.Min(buffer.Length, BufferSize)), length, size, cancellationToken).ConfigureAwait(false)) > 0)
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
