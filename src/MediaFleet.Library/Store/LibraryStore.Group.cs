using System.Collections.Concurrent;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Storage;

namespace MediaFleet.Library.Store;

/// <summary>
/// Group commit for puts of files that are complete already (a verified transfer, a file kept in place, an adopted one):
/// they queue, and whoever holds the writer lock takes the whole queue at once, with one transaction for the intents,
/// renames, one fsync per folder, and one transaction for the rows. Every rule of DESIGN.md section 2 holds for each
/// file (its bytes are on disk before its rename: fsynced before it queued, or, for a transfer that left them in the
/// page cache, by one syncfs of the group; nothing is committed before its rename is durable); what a batch saves is
/// the fsyncs of SQLite, of folders and of small files, which a run of small files otherwise pays per file.
/// </summary>
public sealed partial class LibraryStore
{
    /// <summary>Most puts one commit takes; the rest wait for the next.</summary>
    private const int GroupLimit = 512;

    private readonly ConcurrentQueue<GroupedPut> _grouped = new();

    /// <summary>Puts queued for the next group (tests wait for a group to form while they hold <see cref="CommitLock"/>).</summary>
    internal int GroupedCount => _grouped.Count;

    /// <summary>The writer lock, for tests that make a group of a known size.</summary>
    internal SemaphoreSlim CommitLock => _commitLock;

    /// <summary>What a queued put is: a verified file to rename into place, or one already in place to record.</summary>
    private enum GroupedKind
    {
        Install,
        Keep,
        Adopt,
    }

    private sealed class GroupedPut(GroupedKind kind, LibraryPath path, Sha256Digest sha256, long size, DataVersion? version)
    {
        public GroupedKind Kind { get; } = kind;
        public LibraryPath Path { get; } = path;
        public Sha256Digest Sha256 { get; } = sha256;
        public long Size { get; } = size;
        public DataVersion? Version { get; } = version;
        public string? Partial { get; init; }
        public bool OnlyWhileMissing { get; init; }
        public bool BytesFlushed { get; init; } = true;
        public DateTimeOffset Modified { get; init; }
        public TaskCompletionSource<WriteResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public long? Intent { get; set; }
        public InstalledFile? Installed { get; set; }

        /// <summary>Nothing was at the path when the group admitted it: the rename need not look for a file to replace.</summary>
        public bool TargetAbsent { get; set; }
    }

    /// <summary>Queues a put and commits the queue unless another writer's group took it already.</summary>
    private async Task<WriteResult> CommitGroupedAsync(GroupedPut put, CancellationToken cancellationToken)
    {
        await SettleGroupedAsync([put], cancellationToken).ConfigureAwait(false);
        return await put.Done.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Queues puts together and commits the queue until each is settled (by this writer's groups or another's); each
    /// put's own outcome, a result or a failure, is in its <see cref="GroupedPut.Done"/>.
    /// </summary>
    private async Task SettleGroupedAsync(GroupedPut[] puts, CancellationToken cancellationToken)
    {
        foreach (var put in puts)
        {
            _grouped.Enqueue(put);
        }
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!_grouped.IsEmpty && puts.Any(p => !p.Done.Task.IsCompleted))
            {
                CommitGroup();
            }
        }
        finally
        {
            _commitLock.Release();
        }
        await Task.WhenAll(puts.Select(p => (Task)p.Done.Task)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Commits up to <see cref="GroupLimit"/> queued puts; called under the writer lock.</summary>
    private void CommitGroup()
    {
        var group = new List<GroupedPut>();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var readyFolders = new HashSet<string>(StringComparer.Ordinal);
        var later = new List<GroupedPut>();
        while (group.Count < GroupLimit && _grouped.TryDequeue(out var put))
        {
            if (!paths.Add(put.Path.Value))
            {
                // Two puts of one path are two commits, in turn: the later one sees what the first settled.
                later.Add(put);
            }
            else if (Admit(put, readyFolders))
            {
                group.Add(put);
            }
        }
        foreach (var put in later)
        {
            _grouped.Enqueue(put);
        }
        try
        {
            var installs = group.Where(p => p.Kind == GroupedKind.Install).ToList();
            if (installs.Count > 0 && !RecordIntents(installs))
            {
                group.RemoveAll(p => p.Kind == GroupedKind.Install);
            }
            else
            {
                FlushBytes(installs);
            }
            InstallAll(group);
            group.RemoveAll(p => p.Done.Task.IsCompleted);
            if (group.Count == 0)
            {
                return;
            }
            IReadOnlyList<FileEntry> entries;
            try
            {
                entries = Catalog.CommitPuts([.. group.Select(p => new PendingPut(p.Path.Value, p.Sha256, p.Size,
                    p.Kind == GroupedKind.Install && p.Modified == default ? File.GetLastWriteTimeUtc(p.Installed!.Target) : p.Modified, p.Version, p.Intent))]);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (Durability.IsDiskFull(e))
            {
                UndoAll(group, e);
                return;
            }
            DropPartials(group.Where(p => p.Kind == GroupedKind.Install).Select(p => p.Path));
            for (var i = 0; i < group.Count; i++)
            {
                Finished(group[i], entries[i]);
            }
        }
        catch (Exception e)
        {
            // Unexpected: every put of the group hears it, none waits for ever.
            foreach (var put in group)
            {
                put.Done.TrySetException(e);
            }
        }
    }

    /// <summary>Settles at once the puts that need no commit; true for those that go on into the group.</summary>
    /// <param name="readyFolders">Folders this group checked and created already, for its other installs.</param>
    private bool Admit(GroupedPut put, HashSet<string> readyFolders)
    {
        switch (put.Kind)
        {
            case GroupedKind.Install when IsSettledLater(put.Path, put.Version!.Value, put.OnlyWhileMissing):
                // A retry that lost the race with a later put, delete or move of the path: its bytes are out of date.
                TryDeleteIfExists(put.Partial!);
                put.Done.TrySetResult(new WriteResult(WriteStatus.Unchanged, Catalog.Find(put.Path.Value), Detail: "a later change settled this path"));
                return false;
            case GroupedKind.Install:
                if (!CanInstallAt(put, readyFolders))
                {
                    put.Done.TrySetResult(new WriteResult(WriteStatus.InvalidPath, Detail: "a folder or a file is in the way of this path"));
                    return false;
                }
                return true;
            case GroupedKind.Adopt when Catalog.Find(put.Path.Value) is not null:
                put.Done.TrySetResult(new WriteResult(WriteStatus.Unchanged, Catalog.Find(put.Path.Value)));
                return false;
            default:
                return true;
        }
    }

    /// <summary>
    /// The symlink rule, no folder at the path, and its folder made. A group checks and makes each folder once for all
    /// its installs there (it holds the writer lock throughout), then asks one readlink of each new file's path: a
    /// bundle's 256 files in one folder cost 256 system calls here instead of a few per component each (issue 12).
    /// </summary>
    private bool CanInstallAt(GroupedPut put, HashSet<string> readyFolders)
    {
        var path = put.Path;
        var target = Root.PhysicalPath(path);
        var folder = Path.GetDirectoryName(target)!;
        if (!readyFolders.Contains(folder))
        {
            if (!Root.FoldersStayInside(path) || !TryCreateParent(target))
            {
                return false;
            }
            readyFolders.Add(folder);
        }
        var kind = SymbolicLinks.Probe(target);
        put.TargetAbsent = kind == LinkKind.Absent;
        return kind switch
        {
            LinkKind.Absent => true,
            LinkKind.NotLink => !Directory.Exists(target),
            _ => Root.StaysInside(path) && !Directory.Exists(target),
        };
    }

    /// <summary>One transaction for the intents of the group's installs; false (each told) when the disk is full.</summary>
    private bool RecordIntents(List<GroupedPut> installs)
    {
        IReadOnlyList<long> ids;
        try
        {
            ids = Catalog.AddPutIntents([.. installs.Select(p => new PendingPut(p.Path.Value, p.Sha256, p.Size, default, p.Version))]);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (Durability.IsDiskFull(e))
        {
            // The partials keep their verified bytes, for the next try.
            foreach (var put in installs)
            {
                put.Done.TrySetResult(CatalogFull());
            }
            return false;
        }
        for (var i = 0; i < installs.Count; i++)
        {
            installs[i].Intent = ids[i];
        }
        return true;
    }

    /// <summary>
    /// Puts on disk the bytes of the installs whose transfer left them in the page cache. A group of many gets one
    /// syncfs (a journal commit and a disk flush for the group rather than one per file); a group of a few gets an
    /// fsync each, because syncfs also waits for every other dirty page of the file system: a restarted follower
    /// applying ten changes after a 4 GB copy had landed on the same disk waited a second for its writeback. When a
    /// flush fails, the partials it covered go (a second syncfs would not report the same lost write again) and each
    /// hears the failure; the others go on.
    /// </summary>
    private void FlushBytes(List<GroupedPut> installs)
    {
        var unflushed = installs.Where(p => !p.BytesFlushed).ToList();
        if (unflushed.Count == 0)
        {
            return;
        }
        if (unflushed.Count < SyncFileSystemFrom)
        {
            foreach (var put in unflushed)
            {
                try
                {
                    FlushFile(put.Partial!);
                }
                catch (IOException e)
                {
                    FailUnflushed([put], e);
                }
            }
            return;
        }
        try
        {
            FlushMany(unflushed.Select(p => p.Partial!));
        }
        catch (IOException e)
        {
            FailUnflushed(unflushed, e);
        }
    }

    /// <summary>Installs with unflushed bytes from this many on share one syncfs; fewer fsync each file.</summary>
    internal const int SyncFileSystemFrom = 4;

    private long _fileSystemSyncs;

    /// <summary>Group flushes that used syncfs (tests tell the two ways apart by it).</summary>
    internal long FileSystemSyncs => Interlocked.Read(ref _fileSystemSyncs);

    /// <summary>
    /// Puts many files' bytes on disk with one syncfs (a journal commit and a disk flush for all), or with an fsync each
    /// where the file system cannot sync as a whole.
    /// </summary>
    private void FlushMany(IEnumerable<string> files)
    {
        Interlocked.Increment(ref _fileSystemSyncs);
        if (Durability.SyncFileSystem(Root.TempFolder))
        {
            return;
        }
        foreach (var file in files)
        {
            FlushFile(file);
        }
    }

    private static void FlushFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    private void FailUnflushed(IEnumerable<GroupedPut> puts, IOException e)
    {
        foreach (var put in puts)
        {
            TryDropIntent(put.Intent!.Value);
            TryDeleteIfExists(put.Partial!);
            put.Done.TrySetException(new IOException("the transferred bytes could not be flushed to disk: " + e.Message, e));
        }
    }

    /// <summary>Renames every install into place, then fsyncs each folder once.</summary>
    private void InstallAll(List<GroupedPut> group)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var put in group.Where(p => p.Kind == GroupedKind.Install && !p.Done.Task.IsCompleted))
        {
            try
            {
                // The partial is the caller's (a transfer's, kept for its retries), so it is not disposed here.
                // Over nothing: a rename that refuses to replace (whatever appeared since is not overwritten unseen).
                put.Installed = DurableFile.Install(new DurableWrite(put.Partial!, put.Sha256, put.Size), Root.PhysicalPath(put.Path), replace: !put.TargetAbsent, flushFolder: false);
                folders.Add(put.Installed.Folder);
            }
            catch (InstallFailedException e)
            {
                TryDropIntent(put.Intent!.Value);
                put.Done.TrySetResult(new WriteResult(WriteStatus.InvalidPath, Detail: e.Message));
            }
        }
        foreach (var folder in folders)
        {
            Durability.FlushDirectory(folder);
        }
    }

    /// <summary>The rows could not be committed (full disk): installs are undone where they can be, everyone is told.</summary>
    private void UndoAll(List<GroupedPut> group, Exception error)
    {
        foreach (var put in group)
        {
            if (put.Kind != GroupedKind.Install)
            {
                put.Done.TrySetException(new InsufficientStorageException("the disk is full: the catalog cannot record the change (" + error.Message + ")"));
                continue;
            }
            if (put.Installed!.CanUndo)
            {
                put.Installed.Undo();
                TryDropIntent(put.Intent!.Value);
            }
            // An install over a file whose old bytes are gone stays; start-up recovery finishes it from its intent.
            put.Done.TrySetResult(CatalogFull());
        }
    }

    private void Finished(GroupedPut put, FileEntry entry)
    {
        if (put.Kind == GroupedKind.Install)
        {
            if (put.Installed!.KeptReplaced)
            {
                // The replaced bytes were swapped to the partial's path.
                TryDelete(put.Partial!);
            }
        }
        put.Done.TrySetResult(new WriteResult(WriteStatus.Created, entry));
    }
}
