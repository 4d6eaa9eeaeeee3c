using MediaFleet.Library.Digests;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>
/// The <c>files</c> table in memory, so a read of the file API costs no query. A library of a million files takes a
/// second or two to load, and the node serves meanwhile: until <see cref="Loaded"/> completes, a path the index does not
/// hold yet is looked up in SQLite. Commits write SQLite first, then here; the loader reads one snapshot and never
/// overwrites what a commit put here meanwhile, nor brings back what a commit removed.
/// </summary>
internal sealed class FileIndex(Func<SqliteConnection> openReader)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FileEntry> _files = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Paths removed by commits while the loader runs (its snapshot may still hold them); null once loaded.</summary>
    private HashSet<string>? _removedWhileLoading = new(StringComparer.Ordinal);
    private long _totalBytes;
    private long _expected;
    private long _expectedBytes;

    /// <summary>Completes when every row is in memory (faults when the load failed: lookups then keep asking SQLite).</summary>
    public Task Loaded => _loaded.Task;

    public bool IsLoaded => _loaded.Task.IsCompletedSuccessfully;

    /// <summary>Files held; while loading, those the catalog held when loading began.</summary>
    public int Count
    {
        get
        {
            if (!IsLoaded)
            {
                return (int)Interlocked.Read(ref _expected);
            }
            lock (_lock)
            {
                return _files.Count;
            }
        }
    }

    /// <summary>Bytes held; while loading, those the catalog held when loading began.</summary>
    public long TotalBytes => IsLoaded ? Interlocked.Read(ref _totalBytes) : Interlocked.Read(ref _expectedBytes);

    public FileEntry? Find(string path)
    {
        lock (_lock)
        {
            if (_files.TryGetValue(path, out var entry))
            {
                return entry;
            }
            if (_removedWhileLoading is null || _removedWhileLoading.Contains(path))
            {
                return null;
            }
        }
        using var connection = openReader();
        return FileRows.Find(connection, path);
    }

    /// <summary>Records a committed row (a put, a move's target, a verification, a quarantine).</summary>
    public void Set(FileEntry entry)
    {
        lock (_lock)
        {
            var old = _files.GetValueOrDefault(entry.Path);
            _files[entry.Path] = entry;
            Interlocked.Add(ref _totalBytes, entry.Size - (old?.Size ?? 0));
        }
    }

    /// <summary>Forgets a committed delete (or a move's source).</summary>
    public void Remove(string path)
    {
        lock (_lock)
        {
            if (_files.Remove(path, out var old))
            {
                Interlocked.Add(ref _totalBytes, -old.Size);
            }
            _removedWhileLoading?.Add(path);
        }
    }

    /// <summary>The rows under a prefix (all when empty) in path order: from memory, or from SQLite while loading.</summary>
    public IReadOnlyList<FileEntry> List(string prefix)
    {
        var list = new List<FileEntry>();
        if (!IsLoaded)
        {
            using var connection = openReader();
            using var command = FileRows.Select(connection, prefix);
            using var reader = command.ExecuteReader();
            // SQLite is the truth the index follows: one SELECT is one consistent snapshot of it.
            while (reader.Read())
            {
                list.Add(FileRows.Read(reader));
            }
            return list;
        }
        var under = prefix.TrimEnd('/');
        lock (_lock)
        {
            foreach (var entry in _files.Values)
            {
                if (under.Length == 0 || entry.Path.StartsWith(under, StringComparison.Ordinal)
                    && (entry.Path.Length == under.Length || entry.Path[under.Length] == '/'))
                {
                    list.Add(entry);
                }
            }
        }
        list.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return list;
    }

    /// <summary>Files held, exact before the index has loaded too (<see cref="Count"/> is 0 until <see cref="CountRows"/>).</summary>
    public long CountStored()
    {
        if (IsLoaded)
        {
            return Count;
        }
        using var connection = openReader();
        return FileRows.Totals(connection).Count;
    }

    /// <summary>Counts the rows (and their bytes) that <see cref="Count"/> reports until the index is loaded.</summary>
    public void CountRows()
    {
        using var connection = openReader();
        Expect(FileRows.Totals(connection));
    }

    private void Expect((long Count, long Bytes) totals)
    {
        Interlocked.Exchange(ref _expectedBytes, totals.Bytes);
        Interlocked.Exchange(ref _expected, totals.Count);
    }

    /// <summary>Loads every row of one snapshot; rows that commits set or removed meanwhile keep the commits' word.</summary>
    public void Load(CancellationToken cancellationToken)
    {
        try
        {
            using var connection = openReader();
            using var tx = connection.BeginTransaction(deferred: true);
            var totals = FileRows.Totals(connection, tx);
            Expect(totals);
            using var command = FileRows.Select(connection, "");
            command.Transaction = tx;
            command.CommandText = command.CommandText.Replace(" ORDER BY path", "", StringComparison.Ordinal);
            using var reader = command.ExecuteReader();
            var chunk = new List<FileEntry>(4096);
            while (true)
            {
                var more = reader.Read();
                if (more)
                {
                    chunk.Add(FileRows.Read(reader));
                }
                if (chunk.Count == chunk.Capacity || !more && chunk.Count > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Merge(chunk);
                    chunk.Clear();
                }
                if (!more)
                {
                    break;
                }
            }
            lock (_lock)
            {
                _removedWhileLoading = null;
            }
            _loaded.TrySetResult();
            // Loading a large index leaves as much garbage as index behind (row text, the growing table): give it back
            // to the system once, rather than carry it as resident memory.
            if (totals.Count >= LibraryCatalog.BulkFiles)
            {
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
        }
        catch (Exception e)
        {
            _loaded.TrySetException(e);
            throw;
        }
    }

    /// <summary>The index holds the file of <paramref name="sha256"/> at one of <paramref name="paths"/> in good health.</summary>
    public FileEntry? FirstHealthy(IEnumerable<string> paths, Sha256Digest sha256)
    {
        foreach (var path in paths)
        {
            if (Find(path) is { State: FileState.Ok } entry && entry.Sha256 == sha256)
            {
                return entry;
            }
        }
        return null;
    }

    private void Merge(List<FileEntry> chunk)
    {
        lock (_lock)
        {
            _files.EnsureCapacity((int)Math.Min(int.MaxValue, Math.Max(_files.Count + chunk.Count, Interlocked.Read(ref _expected))));
            foreach (var entry in chunk)
            {
                if (_removedWhileLoading?.Contains(entry.Path) != true && _files.TryAdd(entry.Path, entry))
                {
                    Interlocked.Add(ref _totalBytes, entry.Size);
                }
            }
        }
    }
}
