using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
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
    public async Task<WriteResult> PutAsync(LibraryPath path, Stream body, Sha256Digest? expected, long? expectedLength, WriteCondition condition, CancellationToken cancellationToken)
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

        var temp = Path.Combine(Root.TempFolder, Path.GetRandomFileName());
        var installed = false;
        try
        {
            Sha256Digest digest;
            long length;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                try
                {
                    (digest, length) = await HashingCopier.CopyAsync(body, file, free - ReserveBytes, cancellationToken).ConfigureAwait(false);
                }
                catch (InsufficientStorageException e)
                {
                    return new WriteResult(WriteStatus.InsufficientStorage, Detail: e.Message);
                }
                catch (IOException e) when (Durability.IsDiskFull(e))
                {
                    return new WriteResult(WriteStatus.InsufficientStorage, Detail: "the disk filled up during the write");
                }
            }
            if (expectedLength is { } announced && announced != length)
            {
                return new WriteResult(WriteStatus.Truncated, Detail: $"received {length} of {announced} bytes");
            }
            if (expected is { } want && want != digest)
            {
                return new WriteResult(WriteStatus.DigestMismatch, Detail: $"the body hashes to {digest.Hex}, not {want.Hex}");
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
                var intent = Catalog.AddIntent(ChangeOp.Put, path.Value, null, digest, length);
                File.Move(temp, target, overwrite: true);
                installed = true;
                Durability.FlushDirectory(Path.GetDirectoryName(target)!);
                var entry = Catalog.CommitPut(intent, path.Value, digest, length, File.GetLastWriteTimeUtc(target));
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
            if (!installed)
            {
                TryDelete(temp);
            }
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
            var intent = Catalog.AddIntent(ChangeOp.Delete, path.Value, null, null, null);
            File.Delete(target);
            Durability.FlushDirectory(Path.GetDirectoryName(target)!);
            var version = Catalog.CommitDelete(intent, path.Value);
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
            var intent = Catalog.AddIntent(ChangeOp.Move, from.Value, to.Value, current.Sha256, current.Size);
            File.Move(source, target, overwrite: true);
            Durability.FlushDirectory(Path.GetDirectoryName(target)!);
            Durability.FlushDirectory(Path.GetDirectoryName(source)!);
            var version = Catalog.CommitMove(intent, current, to.Value);
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
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Catalog.Find(path.Value) is not null)
            {
                return null;
            }
            return Catalog.CommitPut(null, path.Value, digest, length, modified);
        }
        finally
        {
            _commitLock.Release();
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
