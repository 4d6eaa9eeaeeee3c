using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

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
        _prefix = prefix;
        Version = version;
    }

    public DataVersion Version { get; }

    /// <summary>How many files, and bytes, the snapshot holds under its prefix.</summary>
    public (long Files, long Bytes) Totals() => FileRows.Totals(_connection, _transaction, _prefix);

    public async IAsyncEnumerable<FileEntry> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = FileRows.Select(_connection, _prefix);
        command.Transaction = _transaction;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return FileRows.Read(reader);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
