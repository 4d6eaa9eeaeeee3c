using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Storage;

namespace MediaFleet.Library.Store;

/// <summary>The follower's side of the store: applying the primary's changes with the primary's versions.</summary>
public sealed partial class LibraryStore
{
    /// <summary>
    /// Where a transfer of this digest to this path collects its bytes; kept across retries so it can resume.
    /// Keyed by path too: two paths with the same content may transfer at the same time.
    /// </summary>
    public string PartialPath(Sha256Digest sha256, LibraryPath path) =>
        Path.Combine(Root.TempFolder, "partial-" + sha256.Hex + "-" + PathKey(path));

    private static string PathKey(LibraryPath path) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path.Value)))[..16];

    /// <summary>
    /// Deletes the partial transfers of a path that a later change made moot (deleted, moved away, or installed with
    /// other bytes), so <c>.mfleet/tmp</c> does not keep them until the next start. Costs a listing of the temp folder,
    /// which holds only transfers in flight.
    /// </summary>
    private void DropPartials(LibraryPath path) => DropPartials([path]);

    /// <summary>
    /// The same for many paths with one listing of the temp folder: a group installs hundreds of files while as many
    /// partials wait there, and a listing per file cost more than the rest of the install.
    /// </summary>
    private void DropPartials(IEnumerable<LibraryPath> paths)
    {
        var keys = paths.Select(PathKey).ToHashSet(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return;
        }
        foreach (var partial in Directory.EnumerateFiles(Root.TempFolder, "partial-*"))
        {
            var name = Path.GetFileName(partial.AsSpan());
            if (keys.Contains(name[(name.LastIndexOf('-') + 1)..].ToString()))
            {
                TryDeleteIfExists(partial);
            }
        }
    }

    /// <summary>
    /// Installs a completely transferred and verified file (its digest was checked on the way) as
    /// <paramref name="version"/>: its bytes on disk, rename, fsync folder, catalog commit.
    /// </summary>
    /// <param name="bytesFlushed">
    /// Whether the partial was fsynced already; false for a small transfer that left its bytes in the page cache, which
    /// its group then flushes with one syncfs before the rename.
    /// </param>
    /// <param name="onlyWhileMissing">A retry: install only while the path is still listed missing at this version.</param>
    public Task<WriteResult> InstallVerifiedAsync(LibraryPath path, string partial, Sha256Digest sha256, DataVersion version, bool bytesFlushed, CancellationToken cancellationToken, bool onlyWhileMissing = false) =>
        CommitGroupedAsync(new GroupedPut(GroupedKind.Install, path, sha256, new FileInfo(partial).Length, version)
        {
            Partial = partial,
            OnlyWhileMissing = onlyWhileMissing,
            BytesFlushed = bytesFlushed,
        }, cancellationToken);

    /// <summary>
    /// Installs many verified transfers whose bytes <see cref="FlushTransfers"/> put on disk (a bundle's files) as groups:
    /// one transaction for the intents and one for the rows, one fsync per folder, as <see cref="InstallVerifiedAsync"/>
    /// does for one. Returns, in the order given, each file's outcome (a result, or its failure to record).
    /// </summary>
    public async Task<IReadOnlyList<Task<WriteResult>>> InstallVerifiedManyAsync(IReadOnlyList<VerifiedTransfer> files, CancellationToken cancellationToken)
    {
        GroupedPut[] puts = [.. files.Select(f => new GroupedPut(GroupedKind.Install, f.Path, f.Sha256, f.Size, f.Version) { Partial = f.Partial, Modified = f.Modified })];
        await SettleGroupedAsync(puts, cancellationToken).ConfigureAwait(false);
        return [.. puts.Select(p => p.Done.Task)];
    }

    /// <summary>
    /// Puts the bytes of verified transfers on disk before they are installed, outside the writer lock: many with one
    /// syncfs, a few with an fsync each. A bundle's flush then waits for the disk while another bundle installs, rather
    /// than in the lock that every install takes (at 200,000 small files the groups' syncfs under the lock left one of two
    /// cores idle).
    /// </summary>
    /// <exception cref="IOException">A flush failed: none of the files may be installed as they are.</exception>
    public void FlushTransfers(IReadOnlyList<VerifiedTransfer> files)
    {
        if (files.Count >= SyncFileSystemFrom)
        {
            FlushMany(files.Select(f => f.Partial));
            return;
        }
        foreach (var file in files)
        {
            FlushFile(file.Partial);
        }
    }

    /// <summary>Whether a later change than <paramref name="version"/> already decided what the path holds.</summary>
    private bool IsSettledLater(LibraryPath path, DataVersion version, bool onlyWhileMissing) =>
        Catalog.Find(path.Value)?.Version > version || onlyWhileMissing && Catalog.FindMissing(path.Value)?.Version != version;

    /// <summary>Copies a file this node already holds with the wanted digest to another path (no transfer).</summary>
    public async Task<WriteResult> CopyLocalAsync(FileEntry source, LibraryPath path, DataVersion version, CancellationToken cancellationToken, bool onlyWhileMissing = false)
    {
        DurableWrite copy;
        try
        {
            await using var input = new FileStream(Root.PhysicalPath(LibraryPath.Parse(source.Path)), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            copy = await DurableFile.WriteAsync(input, Root.TempFolder, FreeBytes - ReserveBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (InsufficientStorageException e)
        {
            return new WriteResult(WriteStatus.InsufficientStorage, Detail: e.InnerException is null ? e.Message : "the disk filled up during the copy");
        }
        using (copy)
        {
            if (copy.Sha256 != source.Sha256)
            {
                return new WriteResult(WriteStatus.DigestMismatch, Detail: $"the local copy {source.Path} no longer hashes to {source.Sha256}");
            }
            try
            {
                return await InstallVerifiedAsync(path, copy.TempPath, copy.Sha256, version, bytesFlushed: true, cancellationToken, onlyWhileMissing).ConfigureAwait(false);
            }
            catch (InsufficientStorageException e)
            {
                return new WriteResult(WriteStatus.InsufficientStorage, Detail: e.Message);
            }
            catch (IOException e) when (Durability.IsDiskFull(e))
            {
                return new WriteResult(WriteStatus.InsufficientStorage, Detail: "the disk filled up during the copy");
            }
        }
    }

    /// <summary>Records a file already on disk with the right digest (left by an old rsync) as <paramref name="version"/>.</summary>
    /// <exception cref="InsufficientStorageException">The catalog's disk is full.</exception>
    /// <param name="modified">The file's modification time when the caller already read it (null: read it here).</param>
    public async Task<FileEntry> KeepExistingAsync(LibraryPath path, Sha256Digest sha256, long length, DataVersion version, CancellationToken cancellationToken, DateTimeOffset? modified = null)
    {
        var put = new GroupedPut(GroupedKind.Keep, path, sha256, length, version) { Modified = modified ?? File.GetLastWriteTimeUtc(Root.PhysicalPath(path)) };
        return (await CommitGroupedAsync(put, cancellationToken).ConfigureAwait(false)).Entry!;
    }

    /// <summary>Applies a replicated delete (absent files are fine: the end state is the same).</summary>
    public async Task ApplyDeleteAsync(LibraryPath path, DataVersion version, CancellationToken cancellationToken)
    {
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var target = Root.PhysicalPath(path);
            var intent = CatalogWrite(() => Catalog.AddIntent(ChangeOp.Delete, path.Value, null, null, null, version));
            if (File.Exists(target))
            {
                File.Delete(target);
                Durability.FlushDirectory(Path.GetDirectoryName(target)!);
            }
            CatalogWrite(() => Catalog.CommitDelete(intent, path.Value, version));
            DropPartials(path);
            PruneEmptyFolders(Path.GetDirectoryName(target)!);
        }
        finally
        {
            _commitLock.Release();
        }
    }

    /// <summary>Applies a replicated move as a local rename; false when the source is not here with that digest.</summary>
    public async Task<bool> ApplyMoveAsync(LibraryPath from, LibraryPath to, Sha256Digest? sha256, DataVersion version, CancellationToken cancellationToken)
    {
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = Catalog.Find(from.Value);
            var source = Root.PhysicalPath(from);
            var target = Root.PhysicalPath(to);
            if (current is null || (sha256 is { } want && current.Sha256 != want) || !File.Exists(source)
                || !Root.StaysInside(to) || Directory.Exists(target) || !TryCreateParent(target))
            {
                return false;
            }
            var intent = CatalogWrite(() => Catalog.AddIntent(ChangeOp.Move, from.Value, to.Value, current.Sha256, current.Size, version));
            File.Move(source, target, overwrite: true);
            Durability.FlushDirectory(Path.GetDirectoryName(target)!);
            Durability.FlushDirectory(Path.GetDirectoryName(source)!);
            CatalogWrite(() => Catalog.CommitMove(intent, current, to.Value, version));
            // The target's partials too: a transfer of an older version of it that failed halfway is settled by this
            // move and would otherwise wait in .mfleet/tmp until the next start (found by a fault campaign, seed 750545).
            DropPartials([from, to]);
            PruneEmptyFolders(Path.GetDirectoryName(source)!);
            return true;
        }
        finally
        {
            _commitLock.Release();
        }
    }

    /// <summary>Runs catalog bookkeeping (seen changes, missing entries, versions) under the writer lock.</summary>
    public async Task<T> WithCatalogAsync<T>(Func<LibraryCatalog, T> work, CancellationToken cancellationToken)
    {
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return CatalogWrite(() => work(Catalog));
        }
        finally
        {
            _commitLock.Release();
        }
    }

    public Task RecordSeenAsync(IReadOnlyList<ChangeEntry> changes, CancellationToken cancellationToken) =>
        WithCatalogAsync(c => { c.RecordSeen(changes); return 0; }, cancellationToken);

    /// <param name="onlyWhileMissing">A retry's failure: recorded only while the path is still listed at this version, so a
    /// retry that lost the race with a later change does not list a settled path again.</param>
    public Task<MissingEntry?> RecordMissingAsync(string path, DataVersion version, Sha256Digest? sha256, string reason, DateTimeOffset nextTry, CancellationToken cancellationToken, bool onlyWhileMissing = false) =>
        WithCatalogAsync(c => onlyWhileMissing && c.FindMissing(path)?.Version != version ? null : c.RecordMissing(path, version, sha256, reason, nextTry), cancellationToken);

    public Task ForgetMissingAsync(string path, CancellationToken cancellationToken) =>
        WithCatalogAsync(c => { c.ForgetMissing(path); return 0; }, cancellationToken);

    /// <summary>Publishes data_version; <paramref name="appliedThrough"/>: the change loop has applied every seen change up to it.</summary>
    public Task<DataVersion> PublishFollowerVersionAsync(CancellationToken cancellationToken, DataVersion? appliedThrough = null) =>
        WithCatalogAsync(c => c.PublishFollowerVersion(appliedThrough), cancellationToken);

    public Task<DataVersion> ResetToSnapshotAsync(DataVersion version, CancellationToken cancellationToken) =>
        WithCatalogAsync(c => c.ResetToSnapshot(version), cancellationToken);

    public Task<DataVersion> CompactAsync(long keep, CancellationToken cancellationToken) =>
        WithCatalogAsync(c => c.Compact(keep), cancellationToken);

    /// <summary>A file this node holds whose bytes have the given digest (for a local copy instead of a transfer).</summary>
    public FileEntry? FindByDigest(Sha256Digest sha256) => Catalog.FindByDigest(sha256);

    /// <summary>
    /// A catalog write for replication: on a full disk it fails as <see cref="InsufficientStorageException"/>, an
    /// <see cref="IOException"/> like a full data disk, which the follower retries rather than dying of.
    /// </summary>
    private static T CatalogWrite<T>(Func<T> write)
    {
        try
        {
            return write();
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (Durability.IsDiskFull(e))
        {
            throw new InsufficientStorageException("the disk is full: the catalog cannot record the change (" + e.Message + ")");
        }
    }

    private static void TryDeleteIfExists(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
    }
}
