using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>
/// The node's catalog: SQLite (WAL) for what must survive, and an in-memory index of <c>files</c> so a
/// read of the file API costs no query. Writes go through <see cref="LibraryStore"/>, which serialises them.
/// </summary>
public sealed class LibraryCatalog : IAsyncDisposable
{
    private const string Schema = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS changes(version INTEGER PRIMARY KEY, op TEXT NOT NULL, path TEXT NOT NULL,
            to_path TEXT, sha256 TEXT, size INTEGER, at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
            version INTEGER NOT NULL, mtime INTEGER NOT NULL, verified_at TEXT, state TEXT NOT NULL DEFAULT 'ok') WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS missing(path TEXT PRIMARY KEY, version INTEGER NOT NULL, sha256 TEXT, reason TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, next_try_at TEXT) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS intents(id INTEGER PRIMARY KEY, op TEXT NOT NULL, path TEXT NOT NULL, to_path TEXT,
            sha256 TEXT, size INTEGER, version INTEGER);
        """;

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly ConcurrentDictionary<string, FileEntry> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MissingEntry> _missing = new(StringComparer.Ordinal);

    /// <summary>Which paths' copies changed since a point, for incremental <c>GET /v1/catalog</c>.</summary>
    public CopyChangeTracker CopyChanges { get; } = new();
    private readonly TimeProvider _time;
    private TaskCompletionSource _changed = NewSignal();
    private long _version;
    private long _seenVersion;

    /// <summary>
    /// A follower's change loop has applied (or listed missing) every seen change up to here. Seen changes above it may
    /// still be on their way, so data_version never passes it, whoever publishes (the retries run beside the loop).
    /// </summary>
    private long _appliedThrough;
    private long _storedFollowerVersion = -1;
    private long _totalBytes;

    private LibraryCatalog(string connectionString, SqliteConnection writer, TimeProvider time)
    {
        _connectionString = connectionString;
        _writer = writer;
        _time = time;
    }

    /// <summary>Every change up to this version is applied here (<c>meta.data_version</c>).</summary>
    public DataVersion Version => new(Volatile.Read(ref _version));

    /// <summary>A follower's change loop has applied (or listed missing) every seen change up to this version.</summary>
    public DataVersion AppliedThrough => new(Volatile.Read(ref _appliedThrough));

    /// <summary>The highest version seen from upstream (on the primary: the same as <see cref="Version"/>).</summary>
    public DataVersion SeenVersion => new(Math.Max(Volatile.Read(ref _seenVersion), Volatile.Read(ref _version)));

    /// <summary>This node's id, made once and kept in <c>meta</c>.</summary>
    public string NodeId { get; private set; } = "";

    public int FileCount => _files.Count;

    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    /// <summary>Opens (creating when new) the catalog of a library and loads its file index into memory.</summary>
    public static LibraryCatalog Open(LibraryRoot root, TimeProvider time)
    {
        Directory.CreateDirectory(root.StateFolder);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = root.CatalogFile,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();
        var writer = new SqliteConnection(connectionString);
        writer.Open();
        var catalog = new LibraryCatalog(connectionString, writer, time);
        try
        {
            catalog.Initialise();
        }
        catch
        {
            writer.Dispose();
            throw;
        }
        return catalog;
    }

    /// <summary>Number of entries in <c>missing</c>.</summary>
    public int MissingCount => _missing.Count;

    /// <summary>The missing entry of a path, from memory (read-through asks this on every miss).</summary>
    public MissingEntry? FindMissing(string path) => _missing.GetValueOrDefault(path);

    /// <summary>What this node should hold and does not yet, oldest version first.</summary>
    public IReadOnlyList<MissingEntry> ListMissing() =>
        _missing.Values.OrderBy(m => m.Version).ThenBy(m => m.Path, StringComparer.Ordinal).ToList();

    private static List<MissingEntry> ReadMissing(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT path, version, sha256, reason, attempts, next_try_at FROM missing";
        using var reader = command.ExecuteReader();
        var list = new List<MissingEntry>();
        while (reader.Read())
        {
            list.Add(new MissingEntry(
                reader.GetString(0),
                new DataVersion(reader.GetInt64(1)),
                reader.IsDBNull(2) ? null : Sha256Digest.ParseHex(reader.GetString(2)),
                reader.GetString(3),
                reader.GetInt32(4),
                reader.IsDBNull(5) ? null : EntryText.ParseTime(reader.GetString(5))));
        }
        return list;
    }

    private void Initialise()
    {
        Execute(_writer, Schema);
        AddColumnIfMissing("intents", "version", "INTEGER");
        // FULL: a committed write survives power loss, so the catalog never lags the renamed file it describes.
        Execute(_writer, "PRAGMA synchronous=FULL;");
        NodeId = GetMeta("node_id") ?? SetNewNodeId();
        _version = long.Parse(GetMeta("data_version") ?? "0", CultureInfo.InvariantCulture);
        _appliedThrough = _version;
        _seenVersion = long.Parse(GetMeta("seen_version") ?? "0", CultureInfo.InvariantCulture);
        foreach (var missing in ReadMissing(_writer))
        {
            _missing[missing.Path] = missing;
        }
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT path, sha256, size, version, mtime, verified_at, state FROM files";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var entry = ReadFile(reader);
            _files[entry.Path] = entry;
            _totalBytes += entry.Size;
        }
    }

    /// <summary>Brings a catalog made by an older build up to the current columns (SQLite has no ADD COLUMN IF NOT EXISTS).</summary>
    private void AddColumnIfMissing(string table, string column, string type)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if ((long)command.ExecuteScalar()! == 0)
        {
            Execute(_writer, $"ALTER TABLE {table} ADD COLUMN {column} {type};");
        }
    }

    private string SetNewNodeId()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        SetMeta(_writer, null, "node_id", id);
        return id;
    }

    public FileEntry? Find(string path) => _files.GetValueOrDefault(path);

    /// <summary>Any healthy file with this digest (a scan of memory: used per replicated put, not per read).</summary>
    public FileEntry? FindByDigest(Sha256Digest sha256) =>
        _files.Values.FirstOrDefault(f => f.Sha256 == sha256 && f.State == FileState.Ok);

    /// <summary>The files under a prefix, from memory, in path order.</summary>
    public IReadOnlyList<FileEntry> ListFiles(string prefix = "")
    {
        var list = new List<FileEntry>();
        foreach (var entry in _files.Values)
        {
            if (prefix.Length == 0 || entry.Path == prefix || entry.Path.StartsWith(prefix.TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                list.Add(entry);
            }
        }
        list.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return list;
    }

    private string? GetMeta(string key)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    // ---- write side: called by LibraryStore, one writer at a time ----

    /// <summary>Records a write about to touch the folder, so start-up recovery can finish or drop it.</summary>
    /// <param name="version">The version the write already has (a follower's replicated change, a heal); null when its commit makes a new one.</param>
    internal long AddIntent(ChangeOp op, string path, string? toPath, Sha256Digest? sha256, long? size, DataVersion? version = null)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "INSERT INTO intents(op, path, to_path, sha256, size, version) VALUES ($op, $path, $to, $sha, $size, $version) RETURNING id";
        command.Parameters.AddWithValue("$version", (object?)version?.Value ?? DBNull.Value);
        command.Parameters.AddWithValue("$op", op.ToText());
        command.Parameters.AddWithValue("$path", path);
        command.Parameters.AddWithValue("$to", (object?)toPath ?? DBNull.Value);
        command.Parameters.AddWithValue("$sha", (object?)sha256?.Hex ?? DBNull.Value);
        command.Parameters.AddWithValue("$size", (object?)size ?? DBNull.Value);
        return (long)command.ExecuteScalar()!;
    }

    internal void DropIntent(long id) => Run(null, "DELETE FROM intents WHERE id = $p", id);

    internal IReadOnlyList<Intent> ReadIntents()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT id, op, path, to_path, sha256, size, version FROM intents ORDER BY id";
        using var reader = command.ExecuteReader();
        var intents = new List<Intent>();
        while (reader.Read())
        {
            intents.Add(new Intent(
                reader.GetInt64(0),
                EntryText.ParseOp(reader.GetString(1)),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : Sha256Digest.ParseHex(reader.GetString(4)),
                reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.IsDBNull(6) ? null : new DataVersion(reader.GetInt64(6))));
        }
        return intents;
    }

    /// <summary>Records a put as a new version: the changelog entry, the file row and data_version, in one transaction.</summary>
    /// <param name="replicated">On a follower, the primary's version of the change (already in <c>changes</c>).</param>
    internal FileEntry CommitPut(long? intentId, string path, Sha256Digest sha256, long size, DateTimeOffset modified, DataVersion? replicated = null)
    {
        var now = _time.GetUtcNow();
        var version = replicated ?? Version.Next();
        var entry = new FileEntry(path, sha256, size, version, modified, now, FileState.Ok);
        using (var tx = _writer.BeginTransaction())
        {
            if (replicated is null)
            {
                InsertChange(tx, version, ChangeOp.Put, path, null, sha256, size, now);
            }
            UpsertFile(tx, entry);
            DeleteMissing(tx, path);
            Finish(tx, intentId, replicated is null ? version : null);
            tx.Commit();
        }
        var old = _files.GetValueOrDefault(path);
        _files[path] = entry;
        _missing.TryRemove(path, out _);
        CopyChanges.Touch(path);
        Interlocked.Add(ref _totalBytes, size - (old?.Size ?? 0));
        Published(replicated is null ? version : null);
        return entry;
    }

    internal DataVersion CommitDelete(long? intentId, string path, DataVersion? replicated = null)
    {
        var now = _time.GetUtcNow();
        var version = replicated ?? Version.Next();
        using (var tx = _writer.BeginTransaction())
        {
            if (replicated is null)
            {
                InsertChange(tx, version, ChangeOp.Delete, path, null, null, null, now);
            }
            DeleteFile(tx, path);
            DeleteMissing(tx, path);
            Finish(tx, intentId, replicated is null ? version : null);
            tx.Commit();
        }
        if (_files.TryRemove(path, out var old))
        {
            Interlocked.Add(ref _totalBytes, -old.Size);
        }
        _missing.TryRemove(path, out _);
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
                InsertChange(tx, version, ChangeOp.Move, source.Path, toPath, source.Sha256, source.Size, now);
            }
            DeleteFile(tx, source.Path);
            UpsertFile(tx, moved);
            DeleteMissing(tx, toPath);
            Finish(tx, intentId, replicated is null ? version : null);
            tx.Commit();
        }
        _files.TryRemove(source.Path, out _);
        _missing.TryRemove(toPath, out _);
        var replaced = _files.GetValueOrDefault(toPath);
        _files[toPath] = moved;
        CopyChanges.Touch(source.Path);
        CopyChanges.Touch(toPath);
        Interlocked.Add(ref _totalBytes, -(replaced?.Size ?? 0));
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
                InsertChange(tx, c.Version, c.Op, c.Path, c.To, c.Sha256, c.Size, c.At, orIgnore: true);
            }
            SetMeta(_writer, tx, "seen_version", seen.ToString(CultureInfo.InvariantCulture));
            tx.Commit();
        }
        Volatile.Write(ref _seenVersion, seen);
    }

    /// <summary>Lists a change this node could not apply, with its reason and when to try again.</summary>
    internal MissingEntry RecordMissing(string path, DataVersion version, Sha256Digest? sha256, string reason, DateTimeOffset nextTry)
    {
        var attempts = (_missing.GetValueOrDefault(path) is { } old && old.Version == version ? old.Attempts : 0) + 1;
        var entry = new MissingEntry(path, version, sha256, reason, attempts, nextTry);
        using var command = _writer.CreateCommand();
        command.CommandText = """
            INSERT INTO missing(path, version, sha256, reason, attempts, next_try_at) VALUES ($path, $v, $sha, $reason, $attempts, $next)
            ON CONFLICT(path) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256, reason = excluded.reason,
                attempts = excluded.attempts, next_try_at = excluded.next_try_at
            """;
        command.Parameters.AddWithValue("$path", path);
        command.Parameters.AddWithValue("$v", version.Value);
        command.Parameters.AddWithValue("$sha", (object?)sha256?.Hex ?? DBNull.Value);
        command.Parameters.AddWithValue("$reason", reason);
        command.Parameters.AddWithValue("$attempts", attempts);
        command.Parameters.AddWithValue("$next", nextTry.ToText());
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (Store.Durability.IsDiskFull(e))
        {
            // A full disk is the commonest reason to list a file as missing, and it refuses this row too: the entry
            // lives in memory (data_version stays below it), and a restart re-applies the change from the changelog.
        }
        _missing[path] = entry;
        CopyChanges.Touch(path);
        return entry;
    }

    /// <summary>Records that the copy at <paramref name="entry"/>'s path was re-hashed at <paramref name="at"/> and matched.</summary>
    internal FileEntry RecordVerified(FileEntry entry, DateTimeOffset at)
    {
        var verified = entry with { VerifiedAt = at };
        using (var tx = _writer.BeginTransaction())
        {
            UpsertFile(tx, verified);
            tx.Commit();
        }
        _files[entry.Path] = verified;
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
            UpsertFile(tx, corrupt);
            using var command = _writer.CreateCommand();
            command.Transaction = tx;
            command.CommandText = """
                INSERT INTO missing(path, version, sha256, reason, attempts, next_try_at) VALUES ($path, $v, $sha, $reason, 0, $next)
                ON CONFLICT(path) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256, reason = excluded.reason,
                    attempts = 0, next_try_at = excluded.next_try_at
                """;
            command.Parameters.AddWithValue("$path", entry.Path);
            command.Parameters.AddWithValue("$v", entry.Version.Value);
            command.Parameters.AddWithValue("$sha", entry.Sha256.Hex);
            command.Parameters.AddWithValue("$reason", reason);
            command.Parameters.AddWithValue("$next", nextTry.ToText());
            command.ExecuteNonQuery();
            tx.Commit();
        }
        _files[entry.Path] = corrupt;
        _missing[entry.Path] = missing;
        CopyChanges.Touch(entry.Path);
        return corrupt;
    }

    /// <summary>Forgets a missing entry that a later change made moot.</summary>
    internal void ForgetMissing(string path)
    {
        using (var tx = _writer.BeginTransaction())
        {
            DeleteMissing(tx, path);
            tx.Commit();
        }
        _missing.TryRemove(path, out _);
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
        var version = _missing.IsEmpty ? seen : Math.Min(seen, _missing.Values.Min(m => m.Version.Value) - 1);
        version = Math.Max(version, 0);
        if (version != _storedFollowerVersion)
        {
            try
            {
                SetMeta(_writer, null, "data_version", version.ToString(CultureInfo.InvariantCulture));
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
        var published = _missing.IsEmpty ? version.Value : Math.Max(0, Math.Min(version.Value, _missing.Values.Min(m => m.Version.Value) - 1));
        using (var tx = _writer.BeginTransaction())
        {
            CompactThrough(tx, version.Value);
            SetMeta(_writer, tx, "seen_version", version.ToString());
            SetMeta(_writer, tx, "data_version", published.ToString(CultureInfo.InvariantCulture));
            tx.Commit();
        }
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
        using var tx = _writer.BeginTransaction();
        CompactThrough(tx, through);
        tx.Commit();
        return new DataVersion(through);
    }

    private void DeleteMissing(SqliteTransaction tx, string path) => Run(tx, "DELETE FROM missing WHERE path = $p", path);

    /// <summary>Drops changelog entries up to <paramref name="version"/> and records that they are gone.</summary>
    private void CompactThrough(SqliteTransaction tx, long version)
    {
        Run(tx, "DELETE FROM changes WHERE version <= $p", version);
        SetMeta(_writer, tx, "compacted_through", version.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>One statement with one parameter, <c>$p</c>, on the writer connection.</summary>
    private void Run(SqliteTransaction? tx, string sql, object value)
    {
        using var command = _writer.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$p", value);
        command.ExecuteNonQuery();
    }

    private void Finish(SqliteTransaction tx, long? intentId, DataVersion? version)
    {
        if (version is { } v)
        {
            SetMeta(_writer, tx, "data_version", v.ToString());
        }
        if (intentId is { } id)
        {
            Run(tx, "DELETE FROM intents WHERE id = $p", id);
        }
    }

    private void Published(DataVersion? version)
    {
        if (version is { } v)
        {
            Volatile.Write(ref _version, v.Value);
        }
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    private void InsertChange(SqliteTransaction tx, DataVersion version, ChangeOp op, string path, string? to, Sha256Digest? sha256, long? size, DateTimeOffset at, bool orIgnore = false)
    {
        using var command = _writer.CreateCommand();
        command.Transaction = tx;
        command.CommandText = (orIgnore ? "INSERT OR IGNORE" : "INSERT") + " INTO changes(version, op, path, to_path, sha256, size, at) VALUES ($v, $op, $path, $to, $sha, $size, $at)";
        command.Parameters.AddWithValue("$v", version.Value);
        command.Parameters.AddWithValue("$op", op.ToText());
        command.Parameters.AddWithValue("$path", path);
        command.Parameters.AddWithValue("$to", (object?)to ?? DBNull.Value);
        command.Parameters.AddWithValue("$sha", (object?)sha256?.Hex ?? DBNull.Value);
        command.Parameters.AddWithValue("$size", (object?)size ?? DBNull.Value);
        command.Parameters.AddWithValue("$at", at.ToText());
        command.ExecuteNonQuery();
    }

    private void UpsertFile(SqliteTransaction tx, FileEntry entry)
    {
        using var command = _writer.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            INSERT INTO files(path, sha256, size, version, mtime, verified_at, state) VALUES ($path, $sha, $size, $v, $mtime, $verified, $state)
            ON CONFLICT(path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, version = excluded.version,
                mtime = excluded.mtime, verified_at = excluded.verified_at, state = excluded.state
            """;
        command.Parameters.AddWithValue("$path", entry.Path);
        command.Parameters.AddWithValue("$sha", entry.Sha256.Hex);
        command.Parameters.AddWithValue("$size", entry.Size);
        command.Parameters.AddWithValue("$v", entry.Version.Value);
        command.Parameters.AddWithValue("$mtime", entry.Modified.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$verified", (object?)entry.VerifiedAt?.ToText() ?? DBNull.Value);
        command.Parameters.AddWithValue("$state", entry.State.ToText());
        command.ExecuteNonQuery();
    }

    private void DeleteFile(SqliteTransaction tx, string path) => Run(tx, "DELETE FROM files WHERE path = $p", path);

    private static void SetMeta(SqliteConnection connection, SqliteTransaction? tx, string key, string value)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    // ---- read side: pooled connections, safe from any thread ----

    /// <summary>The oldest version the changelog no longer holds entries before (0 while nothing was compacted).</summary>
    public DataVersion CompactedThrough
    {
        get
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM meta WHERE key = 'compacted_through'";
            return new DataVersion(command.ExecuteScalar() is string s ? long.Parse(s, CultureInfo.InvariantCulture) : 0);
        }
    }

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
        await using var command = connection.CreateCommand();
        // A follower serves only what it has applied, so its own followers never run ahead of it.
        command.CommandText = "SELECT version, op, path, to_path, sha256, size, at FROM changes WHERE version > $since AND version <= $upto ORDER BY version LIMIT $limit";
        command.Parameters.AddWithValue("$since", since.Value);
        command.Parameters.AddWithValue("$upto", through.Value);
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var changes = new List<ChangeEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            changes.Add(new ChangeEntry(
                new DataVersion(reader.GetInt64(0)),
                EntryText.ParseOp(reader.GetString(1)),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : Sha256Digest.ParseHex(reader.GetString(4)),
                reader.IsDBNull(5) ? null : reader.GetInt64(5),
                EntryText.ParseTime(reader.GetString(6))));
        }
        return changes;
    }

    /// <summary>Completes when the version passes <paramref name="since"/>, or after <paramref name="wait"/>.</summary>
    public async Task WaitForChangeAsync(DataVersion since, TimeSpan wait, CancellationToken cancellationToken)
    {
        var signal = Volatile.Read(ref _changed).Task;
        if (Version > since || wait <= TimeSpan.Zero)
        {
            return;
        }
        try
        {
            await signal.WaitAsync(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Nothing new within the wait: the caller answers with what it has.
        }
    }

    /// <summary>A consistent snapshot of <c>files</c> (one SQLite read transaction) with the version it is at.</summary>
    public async Task<ManifestReader> OpenManifestAsync(string prefix, CancellationToken cancellationToken)
    {
        var connection = OpenReader();
        try
        {
            var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "SELECT value FROM meta WHERE key = 'data_version'";
            var version = new DataVersion(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string s ? long.Parse(s, CultureInfo.InvariantCulture) : 0);
            return new ManifestReader(connection, tx, version, prefix);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    internal static FileEntry ReadFile(SqliteDataReader reader) => new(
        reader.GetString(0),
        Sha256Digest.ParseHex(reader.GetString(1)),
        reader.GetInt64(2),
        new DataVersion(reader.GetInt64(3)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        reader.IsDBNull(5) ? null : EntryText.ParseTime(reader.GetString(5)),
        EntryText.ParseState(reader.GetString(6)));

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        Published(null);
    }
}

/// <summary>
/// A write recorded before it touched the folder, so a crash in between can be finished or undone; <see cref="Version"/> is
/// the version the write already has (a follower's replicated change, a heal), null when its commit makes a new one.
/// </summary>
internal sealed record Intent(long Id, ChangeOp Op, string Path, string? ToPath, Sha256Digest? Sha256, long? Size, DataVersion? Version);

/// <summary>Reads one consistent snapshot of the files table; owns its connection and transaction.</summary>
public sealed class ManifestReader : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly string _prefix;

    internal ManifestReader(SqliteConnection connection, SqliteTransaction transaction, DataVersion version, string prefix)
    {
        _connection = connection;
        _transaction = transaction;
        _prefix = prefix.TrimEnd('/');
        Version = version;
    }

    public DataVersion Version { get; }

    public async IAsyncEnumerable<FileEntry> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        if (_prefix.Length == 0)
        {
            command.CommandText = "SELECT path, sha256, size, version, mtime, verified_at, state FROM files ORDER BY path";
        }
        else
        {
            // Range scan on the primary key: every path equal to the prefix or under "prefix/".
            command.CommandText = "SELECT path, sha256, size, version, mtime, verified_at, state FROM files WHERE path = $p OR (path >= $lo AND path < $hi) ORDER BY path";
            command.Parameters.AddWithValue("$p", _prefix);
            command.Parameters.AddWithValue("$lo", _prefix + "/");
            command.Parameters.AddWithValue("$hi", _prefix + "0");
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return LibraryCatalog.ReadFile(reader);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
