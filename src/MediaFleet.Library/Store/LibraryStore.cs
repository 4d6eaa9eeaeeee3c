using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Storage;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Library.Store;

/// <summary>
/// The only writer of a library: every put, delete and move goes temp file → fsync → rename → fsync folder →
/// catalog commit, one at a time, so a reader sees the old file or the new one and a crash leaves nothing half done.
/// </summary>
public sealed partial class LibraryStore : IAsyncDisposable
{
    private readonly SemaphoreSlim _commitLock = new(1, 1);
    private readonly ILogger _logger;

    public LibraryStore(LibraryRoot root, LibraryCatalog catalog, long reserveBytes, ILogger<LibraryStore> logger)
    {
        Root = root;
        Catalog = catalog;
        ReserveBytes = reserveBytes;
        _logger = logger;
        Directory.CreateDirectory(root.TempFolder);
    }

    public LibraryRoot Root { get; }

    public LibraryCatalog Catalog { get; }

    /// <summary>Free bytes a write must leave on the disk.</summary>
    public long ReserveBytes { get; }

    public long FreeBytes => Durability.FreeBytes(Root.FullPath);

    /// <summary>Whether a write of <paramref name="length"/> bytes (null: unknown) may start without breaking the reserve.</summary>
    public bool HasRoomFor(long? length) => FreeBytes - (length ?? 0) >= ReserveBytes;

    /// <summary>Streams <paramref name="body"/> into the library at <paramref name="path"/>.</summary>
    /// <param name="expected">The digest the client announced; a mismatch installs nothing.</param>
    /// <param name="expectedLength">The announced length; a shorter body is a truncated upload and installs nothing.</param>
    public Task<WriteResult> PutAsync(LibraryPath path, Stream body, Sha256Digest? expected, long? expectedLength, WriteCondition condition, CancellationToken cancellationToken) =>
        PutAsync(path, body, new ExpectedDigest(expected), expectedLength, condition, cancellationToken);

    /// <summary>Streams <paramref name="body"/> into the library at <paramref name="path"/>.</summary>
    /// <param name="expected">The digests the client gave, before the body and after it; a mismatch installs nothing.</param>
    /// <param name="expectedLength">The announced length; a shorter body is a truncated upload and installs nothing.</param>
    public async Task<WriteResult> PutAsync(LibraryPath path, Stream body, ExpectedDigest expected, long? expectedLength, WriteCondition condition, CancellationToken cancellationToken)
    {
        if (!Root.StaysInside(path))
        {
            return new WriteResult(WriteStatus.InvalidPath, Detail: "the path leads outside the library through a symlink");
        }
        if (!condition.HoldsFor(Catalog.Find(path.Value)))
        {
            return new WriteResult(WriteStatus.PreconditionFailed, Detail: "the file does not match If-Match / If-None-Match");
        }
        var free = FreeBytes;
        if (free - (expectedLength ?? 0) < ReserveBytes)
        {
            return new WriteResult(WriteStatus.InsufficientStorage, Detail: $"the write would leave less than {ReserveBytes} bytes free");
        }

        DurableWrite write;
        try
        {
            write = await DurableFile.WriteAsync(body, Root.TempFolder, free - ReserveBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (InsufficientStorageException e)
        {
            return new WriteResult(WriteStatus.InsufficientStorage, Detail: e.Message);
        }
        try
        {
            var (digest, length) = (write.Sha256, write.Length);
            if (expectedLength is { } announced && announced != length)
            {
                return new WriteResult(WriteStatus.Truncated, Detail: $"received {length} of {announced} bytes");
            }
            if (expected.Before is { } want && want != digest)
            {
                return new WriteResult(WriteStatus.DigestMismatch, Detail: $"the body hashes to {digest.Hex}, not {want.Hex}");
            }
            // Only now, with the body read to its end, has a trailer arrived.
            var late = expected.AfterBody?.Invoke() ?? LateDigest.None;
            if (late.Refusal is { } refusal)
            {
                return new WriteResult(WriteStatus.DigestMissing, Detail: refusal);
            }
            if (late.Digest is { } wantAfter && wantAfter != digest)
            {
                return new WriteResult(WriteStatus.DigestMismatch, Detail: $"the body hashes to {digest.Hex}, not {wantAfter.Hex} (the digest trailer)");
            }

            await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var current = Catalog.Find(path.Value);
                if (!condition.HoldsFor(current))
                {
                    return new WriteResult(WriteStatus.PreconditionFailed, Detail: "the file changed while the body arrived");
                }
                if (current is not null && current.Sha256 == digest && File.Exists(Root.PhysicalPath(path)))
                {
                    return new WriteResult(WriteStatus.Unchanged, current);
                }
                var target = Root.PhysicalPath(path);
                if (Directory.Exists(target) || !Root.StaysInside(path) || !TryCreateParent(target))
                {
                    return new WriteResult(WriteStatus.InvalidPath, Detail: "a folder or a file is in the way of this path");
                }
                if (TryAddIntent(ChangeOp.Put, path.Value, null, digest, length) is not { } intent)
                {
                    return CatalogFull();
                }
                var entry = InstallFile(write, target, intent, () => Catalog.CommitPut(intent, path.Value, digest, length, File.GetLastWriteTimeUtc(target)));
                if (entry is null)
                {
                    return CatalogFull();
                }
                Log.Stored(_logger, path.Value, length, entry.Version.Value);
                return new WriteResult(current is null ? WriteStatus.Created : WriteStatus.Replaced, entry);
            }
            finally
            {
                _commitLock.Release();
            }
        }
        finally
        {
            // Nothing of this write is left here: the body never installed, or the bytes it replaced.
            TryDelete(write.TempPath);
        }
    }

    public async Task<WriteResult> DeleteAsync(LibraryPath path, WriteCondition condition, CancellationToken cancellationToken)
    {
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = Catalog.Find(path.Value);
            if (current is null)
            {
                return new WriteResult(WriteStatus.NotFound);
            }
            if (!condition.HoldsFor(current))
            {
                return new WriteResult(WriteStatus.PreconditionFailed, Detail: "the file does not match If-Match");
            }
            var target = Root.PhysicalPath(path);
            if (TryAddIntent(ChangeOp.Delete, path.Value, null, null, null) is not { } intent)
            {
                return CatalogFull();
            }
            // Renamed aside rather than unlinked, so it can come back if the catalog cannot record the delete.
            var aside = Path.Combine(Root.TempFolder, Path.GetRandomFileName());
            var present = File.Exists(target);
            if (present)
            {
                File.Move(target, aside);
            }
            Durability.FlushDirectory(Path.GetDirectoryName(target)!);
            DataVersion version;
            try
            {
                version = Catalog.CommitDelete(intent, path.Value);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (Durability.IsDiskFull(e))
            {
                if (present)
                {
                    File.Move(aside, target);
                    Durability.FlushDirectory(Path.GetDirectoryName(target)!);
                }
                TryDropIntent(intent);
                return CatalogFull();
            }
            TryDelete(aside);
            PruneEmptyFolders(Path.GetDirectoryName(target)!);
            Log.Deleted(_logger, path.Value, version.Value);
            return new WriteResult(WriteStatus.Deleted, Version: version);
        }
        finally
        {
            _commitLock.Release();
        }
    }

    public async Task<WriteResult> MoveAsync(LibraryPath from, LibraryPath to, CancellationToken cancellationToken)
    {
        if (from == to)
        {
            return new WriteResult(WriteStatus.InvalidPath, Detail: "from and to are the same path");
        }
        if (!Root.StaysInside(to))
        {
            return new WriteResult(WriteStatus.InvalidPath, Detail: "the target leads outside the library through a symlink");
        }
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = Catalog.Find(from.Value);
            if (current is null)
            {
                return new WriteResult(WriteStatus.NotFound);
            }
            var source = Root.PhysicalPath(from);
            var target = Root.PhysicalPath(to);
            if (Directory.Exists(target) || !TryCreateParent(target))
            {
                return new WriteResult(WriteStatus.InvalidPath, Detail: "a folder or a file is in the way of the target path");
            }
            if (TryAddIntent(ChangeOp.Move, from.Value, to.Value, current.Sha256, current.Size) is not { } intent)
            {
                return CatalogFull();
            }
            var replacing = File.Exists(target);
            File.Move(source, target, overwrite: true);
            Durability.FlushDirectory(Path.GetDirectoryName(target)!);
            Durability.FlushDirectory(Path.GetDirectoryName(source)!);
            DataVersion version;
            try
            {
                version = Catalog.CommitMove(intent, current, to.Value);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (Durability.IsDiskFull(e) && !replacing)
            {
                // Undone by the opposite rename; a move over another file cannot be, and start-up finishes it from its intent.
                File.Move(target, source);
                Durability.FlushDirectory(Path.GetDirectoryName(source)!);
                TryDropIntent(intent);
                return CatalogFull();
            }
            PruneEmptyFolders(Path.GetDirectoryName(source)!);
            Log.Moved(_logger, from.Value, to.Value, version.Value);
            return new WriteResult(WriteStatus.Moved, Version: version);
        }
        finally
        {
            _commitLock.Release();
        }
    }

    /// <summary>Records a file that is already in place (adopt): no copy, one new version.</summary>
    internal async Task<FileEntry?> RecordExistingAsync(LibraryPath path, Sha256Digest digest, long length, DateTimeOffset modified, CancellationToken cancellationToken)
    {
        var result = await CommitGroupedAsync(new GroupedPut(GroupedKind.Adopt, path, digest, length, null) { Modified = modified }, cancellationToken).ConfigureAwait(false);
        return result.Status == WriteStatus.Created ? result.Entry : null;
    }

    private static WriteResult CatalogFull() =>
        new(WriteStatus.InsufficientStorage, Detail: "the disk is full: the catalog cannot record the write");

    /// <summary>Records the intent of a write; null when the catalog's disk is full (nothing was changed).</summary>
    private long? TryAddIntent(ChangeOp op, string path, string? toPath, Sha256Digest? sha256, long? size, DataVersion? version = null)
    {
        try
        {
            return Catalog.AddIntent(op, path, toPath, sha256, size, version);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (Durability.IsDiskFull(e))
        {
            return null;
        }
    }

    /// <summary>Drops the intent of an undone write; where the full disk refuses even that, start-up drops it.</summary>
    private void TryDropIntent(long intent)
    {
        try
        {
            Catalog.DropIntent(intent);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (Durability.IsDiskFull(e))
        {
        }
    }

    /// <summary>
    /// Puts the finished file in place at <paramref name="target"/> (<see cref="DurableFile.Install"/>) and commits it.
    /// When the catalog's disk is full the install is undone (the replaced file back, or no file) and null returned, so
    /// the folder still matches the catalog; the write's temp path then holds the new bytes again. After a commit it
    /// holds nothing.
    /// </summary>
    private FileEntry? InstallFile(DurableWrite write, string target, long intent, Func<FileEntry> commit)
    {
        var installed = DurableFile.Install(write, target, replace: true);
        try
        {
            var entry = commit();
            if (installed.KeptReplaced)
            {
                TryDelete(write.TempPath);
            }
            return entry;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (Durability.IsDiskFull(e) && installed.CanUndo)
        {
            installed.Undo();
            TryDropIntent(intent);
            return null;
        }
    }

    private bool TryCreateParent(string target)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void PruneEmptyFolders(string folder)
    {
        try
        {
            while (folder.Length > Root.FullPath.Length && folder.StartsWith(Root.FullPath, StringComparison.Ordinal)
                && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                Directory.Delete(folder);
                folder = Path.GetDirectoryName(folder)!;
            }
        }
        catch (IOException)
        {
            // A folder that filled again or vanished meanwhile is fine to leave.
        }
    }

    private void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException e)
        {
            Log.TempNotDeleted(_logger, file, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Catalog.DisposeAsync().ConfigureAwait(false);
        _commitLock.Dispose();
    }
}
