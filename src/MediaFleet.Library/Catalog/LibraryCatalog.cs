using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Storage;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>
/// The node's catalog (DESIGN.md section 2): SQLite (WAL) for what must survive, with the files and the missing list
/// mirrored in memory so reads cost no query. Writes go through <see cref="Store.LibraryStore"/>, which serialises them;
/// each commit is one transaction over the tables it touches (<see cref="FileRows"/>, <see cref="Changelog"/>,
/// <see cref="MissingRows"/>, <see cref="IntentLog"/>, <see cref="CatalogMeta"/>), then the memory follows.
/// </summary>
public sealed class LibraryCatalog : IAsyncDisposable
{
    private readonly string _readerConnectionString;
    private readonly SqliteConnection _writer;
    private readonly WriterCommands _commands;
    private readonly TimeProvider _time;
    private readonly FileIndex _files;
    private readonly MissingList _missing = new();
    private readonly ChangeSignal _signal;
    private long _version;
    private long _seenVersion;
    private long _compactedThrough;

    /// <summary>
    /// A follower's change loop has applied (or listed missing) every seen change up to here. Seen changes above it may
    /// still be on their way, so data_version never passes it, whoever publishes (the retries run beside the loop).
    /// </summary>
    private long _appliedThrough;
    private long _storedFollowerVersion = -1;

    private LibraryCatalog(string readerConnectionString, SqliteConnection writer, TimeProvider time)
    {
        _readerConnectionString = readerConnectionString;
        _writer = writer;
        _commands = new WriterCommands(writer);
        _time = time;
        _files = new FileIndex(OpenReader);
        _signal = new ChangeSignal(time);
    }

    /// <summary>Which paths' copies changed since a point, for incremental <c>GET /v1/catalog</c>.</summary>
    public CopyChangeTracker CopyChanges { get; } = new();

    /// <summary>Every change up to this version is applied here (<c>meta.data_version</c>).</summary>
    public DataVersion Version => new(Volatile.Read(ref _version));

    /// <summary>A follower's change loop has applied (or listed missing) every seen change up to this version.</summary>
    public DataVersion AppliedThrough => new(Volatile.Read(ref _appliedThrough));

    /// <summary>The highest version seen from upstream (on the primary: the same as <see cref="Version"/>).</summary>
    public DataVersion SeenVersion => new(Math.Max(Volatile.Read(ref _seenVersion), Volatile.Read(ref _version)));

    /// <summary>The oldest version the changelog no longer holds entries before (0 while nothing was compacted).</summary>
    public DataVersion CompactedThrough => new(Volatile.Read(ref _compactedThrough));

    /// <summary>This node's id, made once and kept in <c>meta</c>.</summary>
    public string NodeId { get; private set; } = "";

    /// <summary>Files in the in-memory index (while it loads, those loaded so far).</summary>
    public int FileCount => _files.Count;

    public long TotalBytes => _files.TotalBytes;

    /// <summary>Files the catalog holds, exact even before the file index has loaded (then one query).</summary>
    public long CountStoredFiles() => _files.CountStored();

    /// <summary>Completes when the file index is in memory (<see cref="LoadIndex"/>); until then reads ask SQLite.</summary>
    public Task IndexLoaded => _files.Loaded;

    /// <summary>Number of entries in <c>missing</c>.</summary>
    public int MissingCount => _missing.Count;

    /// <summary>
    /// Opens (creating when new) the catalog of a library: schema, meta and the missing list, at once. The file index is
    /// loaded by <see cref="LoadIndex"/>, which the caller runs in the background so a large library serves at once.
    /// </summary>
    public static LibraryCatalog Open(LibraryRoot root, TimeProvider time)
    {
        Directory.CreateDirectory(root.StateFolder);
        var writer = SqliteDatabase.Open(root.CatalogFile, CatalogSchema.Migrations);
        try
        {
            var readers = new SqliteConnectionStringBuilder
            {
                DataSource = root.CatalogFile,
                Mode = SqliteOpenMode.ReadOnly,
                Cache = SqliteCacheMode.Private,
                Pooling = true,
                DefaultTimeout = (int)SqliteDatabase.BusyTimeout.TotalSeconds,
            }.ToString();
            var catalog = new LibraryCatalog(readers, writer, time);
            catalog.Initialise();
            return catalog;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>Opens a catalog and loads its file index before returning (tools and tests that need it whole at once).</summary>
    public static LibraryCatalog OpenLoaded(LibraryRoot root, TimeProvider time)
    {
        var catalog = Open(root, time);
        catalog.LoadIndex(CancellationToken.None);
        return catalog;
    }

    private void Initialise()
    {
        AddColumnIfMissing("intents", "version", "INTEGER");
        NodeId = CatalogMeta.Get(_writer, "node_id") ?? SetNewNodeId();
        _version = CatalogMeta.GetNumber(_writer, "data_version");
        _appliedThrough = _version;
        _seenVersion = CatalogMeta.GetNumber(_writer, "seen_version");
        _compactedThrough = CatalogMeta.GetNumber(_writer, "compacted_through");
        foreach (var missing in MissingRows.ReadAll(_writer))
        {
            _missing.Set(missing);
        }
    }

    /// <summary>Loads the file index from one snapshot (a second or two at a million files); commits may run meanwhile.</summary>
    public void LoadIndex(CancellationToken cancellationToken) => _files.Load(cancellationToken);

    /// <summary>
    /// Counts the files and bytes the catalog holds, so <see cref="FileCount"/> and the byte total are right before the
    /// index loads (one query; the loader, which a restarted follower defers, counts again when it starts).
    /// </summary>
    public void CountFiles() => _files.CountRows();

    /// <summary>Brings a catalog made by an older build up to the current columns (SQLite has no ADD COLUMN IF NOT EXISTS).</summary>
    private void AddColumnIfMissing(string table, string column, string type)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if ((long)command.ExecuteScalar()! == 0)
        {
            using var alter = _writer.CreateCommand();
            alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {type};";
            alter.ExecuteNonQuery();
        }
    }

    private string SetNewNodeId()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        CatalogMeta.Set(_commands, null, "node_id", id);
        return id;
    }

    // ---- reads ----

    public FileEntry? Find(string path) => _files.Find(path);

    /// <summary>A healthy file with this digest (through the digest index: used per replicated put, not per read).</summary>
    public FileEntry? FindByDigest(Sha256Digest sha256)
    {
        using var connection = OpenReader();
        return _files.FirstHealthy(FileRows.PathsWithDigest(connection, sha256), sha256);
    }

    /// <summary>The files under a prefix in path order.</summary>
    public IReadOnlyList<FileEntry> ListFiles(string prefix = "") => _files.List(prefix);

    /// <summary>The missing entry of a path, from memory (read-through asks this on every miss).</summary>
    public MissingEntry? FindMissing(string path) => _missing.Find(path);

    /// <summary>What this node should hold and does not yet, oldest version first.</summary>
    public IReadOnlyList<MissingEntry> ListMissing() => _missing.List();

    /// <summary>Changelog entries after <paramref name="since"/>, oldest first.</summary>
    public Task<IReadOnlyList<ChangeEntry>> ReadChangesAsync(DataVersion since, int limit, CancellationToken cancellationToken) =>
        ReadChangesAsync(since, Version, limit, cancellationToken);

    /// <summary>
    /// Recorded entries in (<paramref name="since"/>, <paramref name="through"/>], also those not yet applied: a
    /// follower restarted after a crash re-applies what it had seen but not finished.
    /// </summary>
    public async Task<IReadOnlyList<ChangeEntry>> ReadChangesAsync(DataVersion since, DataVersion through, int limit, CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        return await Changelog.ReadAsync(connection, since, through, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes when the version passes <paramref name="since"/>, or after <paramref name="wait"/>.</summary>
    public Task WaitForChangeAsync(DataVersion since, TimeSpan wait, CancellationToken cancellationToken) =>
        _signal.WaitAsync(() => Version > since, wait, cancellationToken);

    /// <summary>A consistent snapshot of <c>files</c> (one SQLite read transaction) with the version it is at.</summary>
    public async Task<ManifestReader> OpenManifestAsync(string prefix, CancellationToken cancellationToken)
    {
        var connection = OpenReader();
        try
        {
            var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var version = new DataVersion(CatalogMeta.GetNumber(connection, "data_version", tx));
            return new ManifestReader(connection, tx, version, prefix);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// After work that went through a large part of a library (provisioning, adopting): the pooled readers' page caches
    /// and the garbage of the work go back to the system rather than stay resident until a restart.
    /// </summary>
    public void ReleaseMemoryAfterBulkWork(long files)
    {
        if (files < BulkFiles)
        {
            return;
        }
        SqliteConnection.ClearPool(new SqliteConnection(_readerConnectionString));
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>Work on at least this many files is worth a full compacting collection afterwards.</summary>
    internal const long BulkFiles = 100_000;

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_readerConnectionString);
        connection.Open();
        return connection;
    }

    // ---- write side: called by LibraryStore, one writer at a time ----

    /// <summary>Records a write about to touch the folder, so start-up recovery can finish or drop it.</summary>
    /// <param name="version">The version the write already has (a follower's replicated change, a heal); null when its commit makes a new one.</param>
    internal long AddIntent(ChangeOp op, string path, string? toPath, Sha256Digest? sha256, long? size, DataVersion? version = null) =>
        IntentLog.Add(_commands, null, op, path, toPath, sha256, size, version);

    /// <summary>Records the intents of a batch of puts in one transaction (one fsync); returns their ids in order.</summary>
    internal IReadOnlyList<long> AddPutIntents(IReadOnlyList<PendingPut> puts)
    {
        var ids = new List<long>(puts.Count);
        using var tx = _writer.BeginTransaction();
        foreach (var put in puts)
        {
            ids.Add(IntentLog.Add(_commands, tx, ChangeOp.Put, put.Path, null, put.Sha256, put.Size, put.Replicated));
        }
        tx.Commit();
        return ids;
    }

    /// <summary>Whether the digest index (<c>files_sha256</c>) exists; a bulk load drops it until it ends.</summary>
    public bool HasDigestIndex => FileRows.HasDigestIndex(_writer);

    /// <summary>Drops the digest index for a bulk load; lookups by digest scan the table until it is built again.</summary>
    internal void DropDigestIndex() => FileRows.DropDigestIndex(_writer);

    /// <summary>Builds the digest index again (a no-op while it exists).</summary>
    internal void BuildDigestIndex() => FileRows.BuildDigestIndex(_writer);

    internal void DropIntent(long id) => IntentLog.Drop(_commands, null, id);

    internal IReadOnlyList<Intent> ReadIntents() => IntentLog.ReadAll(_writer);

    /// <summary>Records a put as a new version: the changelog entry, the file row and data_version, in one transaction.</summary>
    /// <param name="replicated">On a follower, the primary's version of the change (already in <c>changes</c>).</param>
    internal FileEntry CommitPut(long? intentId, string path, Sha256Digest sha256, long size, DateTimeOffset modified, DataVersion? replicated = null) =>
        CommitPuts([new PendingPut(path, sha256, size, modified, replicated, intentId)])[0];

    /// <summary>
    /// Records a batch of puts in one transaction (group commit: one fsync for all): on the primary each gets the next
    /// version in order, on a follower the version it carries.
    /// </summary>
    internal IReadOnlyList<FileEntry> CommitPuts(IReadOnlyList<PendingPut> puts)
    {
        var now = _time.GetUtcNow();
        var entries = new List<FileEntry>(puts.Count);
        var version = Version;
        using (var tx = _writer.BeginTransaction())
        {
            foreach (var put in puts)
            {
                if (put.Replicated is null)
                {
                    version = version.Next();
                    Changelog.Insert(_commands, tx, version, ChangeOp.Put, put.Path, null, put.Sha256, put.Size, now);
                }
                var entry = new FileEntry(put.Path, put.Sha256, put.Size, put.Replicated ?? version, put.Modified, now, FileState.Ok);
                FileRows.Upsert(_commands, tx, entry);
                MissingRows.Delete(_commands, tx, put.Path);
                if (put.IntentId is { } id)
                {
                    IntentLog.Drop(_commands, tx, id);
                }
                entries.Add(entry);
            }
            if (version != Version)
            {
                CatalogMeta.Set(_commands, tx, "data_version", version.Value);
            }
            tx.Commit();
        }
        foreach (var entry in entries)
        {
            _files.Set(entry);
            _missing.Remove(entry.Path);
            CopyChanges.Touch(entry.Path);
        }
        Published(version != Version ? version : null);
        return entries;
    }

    internal DataVersion CommitDelete(long? intentId, string path, DataVersion? replicated = null)
    {
        var now = _time.GetUtcNow();
        var version = replicated ?? Version.Next();
        using (var tx = _writer.BeginTransaction())
        {
            if (replicated is null)
            {
                Changelog.Insert(_commands, tx, version, ChangeOp.Delete, path, null, null, null, now);
            }
            FileRows.Delete(_commands, tx, path);
            MissingRows.Delete(_commands, tx, path);
            Finish(tx, intentId, replicated is null ? version : null);
            tx.Commit();
        }
        _files.Remove(path);
        _missing.Remove(path);
        CopyChanges.Touch(path);
        Published(replicated is null ? version : null);
        return version;
    }

    internal DataVersion CommitMove(long? intentId, FileEntry source, string toPath, DataVersion? replicated = null)
    {
        var now = _time.GetUtcNow();
        var version = replicated ?? Version.Next();
        var moved = source with { Path = toPath, Version = version };
        using (var tx = _writer.BeginTransaction())
        {
            if (replicated is null)
            {
                Changelog.Insert(_commands, tx, version, ChangeOp.Move, source.Path, toPath, source.Sha256, source.Size, now);
            }
            FileRows.Delete(_commands, tx, source.Path);
            FileRows.Upsert(_commands, tx, moved);
            MissingRows.Delete(_commands, tx, toPath);
            Finish(tx, intentId, replicated is null ? version : null);
            tx.Commit();
        }
        _files.Remove(source.Path);
        _missing.Remove(toPath);
        _files.Set(moved);
        CopyChanges.Touch(source.Path);
        CopyChanges.Touch(toPath);
        Published(replicated is null ? version : null);
        return version;
    }

    // ---- follower side: the primary's changelog recorded as seen, applied, and what is still missing ----

    /// <summary>Records upstream changelog entries (kept with the primary's versions) and raises seen_version.</summary>
    internal void RecordSeen(IReadOnlyList<ChangeEntry> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }
        var seen = Math.Max(SeenVersion.Value, changes.Max(c => c.Version.Value));
        using (var tx = _writer.BeginTransaction())
        {
            foreach (var c in changes)
            {
                Changelog.Insert(_commands, tx, c.Version, c.Op, c.Path, c.To, c.Sha256, c.Size, c.At, orIgnore: true);
            }
            CatalogMeta.Set(_commands, tx, "seen_version", seen);
            tx.Commit();
        }
        Volatile.Write(ref _seenVersion, seen);
    }

    /// <summary>Lists a change this node could not apply, with its reason and when to try again.</summary>
    internal MissingEntry RecordMissing(string path, DataVersion version, Sha256Digest? sha256, string reason, DateTimeOffset nextTry)
    {
        var attempts = (_missing.Find(path) is { } old && old.Version == version ? old.Attempts : 0) + 1;
        var entry = new MissingEntry(path, version, sha256, reason, attempts, nextTry);
        try
        {
            MissingRows.Upsert(_commands, null, entry);
        }
        catch (SqliteException e) when (Store.Durability.IsDiskFull(e))
        {
            // A full disk is the commonest reason to list a file as missing, and it refuses this row too: the entry
            // lives in memory (data_version stays below it), and a restart re-applies the change from the changelog.
        }
        _missing.Set(entry);
        CopyChanges.Touch(path);
        return entry;
    }

    /// <summary>Records that the copy at <paramref name="entry"/>'s path was re-hashed at <paramref name="at"/> and matched.</summary>
    internal FileEntry RecordVerified(FileEntry entry, DateTimeOffset at)
    {
        var verified = entry with { VerifiedAt = at };
        using (var tx = _writer.BeginTransaction())
        {
            FileRows.Upsert(_commands, tx, verified);
            tx.Commit();
        }
        _files.Set(verified);
        CopyChanges.Touch(entry.Path);
        return verified;
    }

    /// <summary>
    /// Marks a copy corrupt (its bytes moved to quarantine) and lists it missing with <paramref name="reason"/>, in one
    /// transaction: the file API stops serving it and the healer looks for good bytes.
    /// </summary>
    internal FileEntry RecordCorrupt(FileEntry entry, string reason, DateTimeOffset nextTry)
    {
        var corrupt = entry with { State = FileState.Corrupt };
        var missing = new MissingEntry(entry.Path, entry.Version, entry.Sha256, reason, 0, nextTry);
        using (var tx = _writer.BeginTransaction())
        {
            FileRows.Upsert(_commands, tx, corrupt);
            MissingRows.Upsert(_commands, tx, missing);
            tx.Commit();
        }
        _files.Set(corrupt);
        _missing.Set(missing);
        CopyChanges.Touch(entry.Path);
        return corrupt;
    }

    /// <summary>Forgets a missing entry that a later change made moot.</summary>
    internal void ForgetMissing(string path)
    {
        using (var tx = _writer.BeginTransaction())
        {
            MissingRows.Delete(_commands, tx, path);
            tx.Commit();
        }
        _missing.Remove(path);
        CopyChanges.Touch(path);
    }

    /// <summary>
    /// Sets data_version to the highest V with every change ≤ V applied: just below the oldest missing
    /// change, or the seen version when nothing is missing.
    /// </summary>
    internal DataVersion PublishFollowerVersion(DataVersion? appliedThrough = null)
    {
        if (appliedThrough is { } applied && applied.Value > _appliedThrough)
        {
            Volatile.Write(ref _appliedThrough, applied.Value);
        }
        var seen = Math.Min(SeenVersion.Value, _appliedThrough);
        var version = _missing.OldestVersion is { } oldest ? Math.Min(seen, oldest - 1) : seen;
        version = Math.Max(version, 0);
        if (version != _storedFollowerVersion)
        {
            try
            {
                CatalogMeta.Set(_commands, null, "data_version", version);
                _storedFollowerVersion = version;
            }
            catch (SqliteException e) when (Store.Durability.IsDiskFull(e))
            {
                // Stored by a later call; meanwhile a restart starts from the older stored version and re-applies.
            }
        }
        if (version != Volatile.Read(ref _version))
        {
            Published(new DataVersion(version));
        }
        return new DataVersion(version);
    }

    /// <summary>
    /// After provisioning from a manifest at <paramref name="version"/>: nothing older is in the changelog, and the
    /// compaction point, seen_version and data_version change in one transaction, so a reader never sees a
    /// compaction point above the version it can provision at.
    /// </summary>
    internal DataVersion ResetToSnapshot(DataVersion version)
    {
        var published = _missing.OldestVersion is { } oldest ? Math.Max(0, Math.Min(version.Value, oldest - 1)) : version.Value;
        using (var tx = _writer.BeginTransaction())
        {
            Changelog.CompactThrough(_commands, tx, version.Value);
            CatalogMeta.Set(_commands, tx, "seen_version", version.Value);
            CatalogMeta.Set(_commands, tx, "data_version", published);
            tx.Commit();
        }
        Volatile.Write(ref _compactedThrough, version.Value);
        Volatile.Write(ref _seenVersion, version.Value);
        Volatile.Write(ref _appliedThrough, version.Value);
        _storedFollowerVersion = published;
        Published(new DataVersion(published));
        return new DataVersion(published);
    }

    /// <summary>Drops changelog entries older than the newest <paramref name="keep"/> versions; returns the new compaction point.</summary>
    internal DataVersion Compact(long keep)
    {
        var through = Math.Max(0, Version.Value - keep);
        if (through <= CompactedThrough.Value)
        {
            return CompactedThrough;
        }
        using (var tx = _writer.BeginTransaction())
        {
            Changelog.CompactThrough(_commands, tx, through);
            tx.Commit();
        }
        Volatile.Write(ref _compactedThrough, through);
        return new DataVersion(through);
    }

    private void Finish(SqliteTransaction tx, long? intentId, DataVersion? version)
    {
        if (version is { } v)
        {
            CatalogMeta.Set(_commands, tx, "data_version", v.Value);
        }
        if (intentId is { } id)
        {
            IntentLog.Drop(_commands, tx, id);
        }
    }

    private void Published(DataVersion? version)
    {
        if (version is { } v)
        {
            Volatile.Write(ref _version, v.Value);
        }
        _signal.Raise();
    }

    public async ValueTask DisposeAsync()
    {
        _commands.Dispose();
        await _writer.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearPool(new SqliteConnection(_readerConnectionString));
        Published(null);
    }
}

/// <summary>A put waiting for its catalog commit: a file already in place at <see cref="Path"/> with these bytes.</summary>
/// <param name="Replicated">On a follower, the primary's version of the change; null when the commit makes a new one.</param>
/// <param name="IntentId">The intent recorded before the file reached the folder, dropped by the same commit.</param>
internal sealed record PendingPut(string Path, Sha256Digest Sha256, long Size, DateTimeOffset Modified, DataVersion? Replicated, long? IntentId = null);
