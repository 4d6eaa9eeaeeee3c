using System.Collections.Immutable;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;

namespace MediaFleet.Coordinator.Scores;

/// <summary>
/// The collection's files as columns indexed 0..Count-1 (the primary's catalog: path, digest, when ingested);
/// every <see cref="CopyColumn"/> is aligned to the same index.
/// </summary>
internal sealed class FileTable
{
    public FileTable(ImmutableArray<LibraryPath> paths, ImmutableArray<Sha256Digest> digests, ImmutableArray<DateTimeOffset> ingestedAt)
    {
        if (paths.IsDefault || digests.IsDefault || ingestedAt.IsDefault)
        {
            throw new ArgumentException("every column of a file table must be given");
        }
        if (digests.Length != paths.Length || ingestedAt.Length != paths.Length)
        {
            throw new ArgumentException(
                $"the columns of a file table differ in length: {paths.Length} paths, {digests.Length} digests, {ingestedAt.Length} ingest times");
        }
        Paths = paths;
        Digests = digests;
        IngestedAt = ingestedAt;
    }

    public static FileTable Empty { get; } = new([], [], []);

    public int Count => Paths.Length;

    public ImmutableArray<LibraryPath> Paths { get; }

    public ImmutableArray<Sha256Digest> Digests { get; }

    public ImmutableArray<DateTimeOffset> IngestedAt { get; }
}
