using System.Globalization;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Storage;

/// <summary>
/// Opens a SQLite file the way every MediaFleet database wants it: WAL, synchronous=FULL (a commit survives power
/// loss), a busy timeout, and its schema brought up to date from a list of migrations numbered by
/// <c>PRAGMA user_version</c>.
/// </summary>
public static class SqliteDatabase
{
    /// <summary>How long a statement waits for another connection's write lock before it fails with SQLITE_BUSY.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Opens (creating when new) <paramref name="file"/> and applies the migrations above its version: migration
    /// <c>i</c> (0-based) takes the schema from version <c>i</c> to <c>i + 1</c>, each in its own transaction that also
    /// sets <c>user_version</c>, so a crash leaves the file at one version or the next. The caller owns the connection.
    /// </summary>
    /// <param name="migrations">Every migration the code knows, oldest first; never edit or reorder a released one.</param>
    /// <exception cref="NewerSchemaException">The file was written by newer code (its version is above <c>migrations.Count</c>).</exception>
    public static SqliteConnection Open(string file, IReadOnlyList<string> migrations)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = file,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY for the command timeout; busy_timeout below covers SQLite's own waits.
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
            // A pooled connection keeps the file open after Dispose; the owner's Dispose should let go of it.
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout={(long)BusyTimeout.TotalMilliseconds};");
            // journal_mode answers the mode it ended in: a file system without shared memory for WAL says otherwise.
            var mode = Scalar(connection, "PRAGMA journal_mode=WAL;", null);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"{file}: SQLite could not switch to WAL (journal_mode is {mode})");
            }
            Execute(connection, "PRAGMA synchronous=FULL;");
            Migrate(connection, file, migrations);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The schema version stored in the file (<c>PRAGMA user_version</c>).</summary>
    public static int SchemaVersion(SqliteConnection connection) => SchemaVersion(connection, null);

    private static void Migrate(SqliteConnection connection, string file, IReadOnlyList<string> migrations)
    {
        while (true)
        {
            // BEGIN IMMEDIATE: two processes opening the file at once serialise here, and the loser sees the new version.
            using var transaction = connection.BeginTransaction(deferred: false);
            var version = SchemaVersion(connection, transaction);
            if (version > migrations.Count)
            {
                throw new NewerSchemaException(file, version, migrations.Count);
            }
            if (version == migrations.Count)
            {
                transaction.Commit();
                return;
            }
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = migrations[version] + $";\nPRAGMA user_version={(version + 1).ToString(CultureInfo.InvariantCulture)};";
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    private static int SchemaVersion(SqliteConnection connection, SqliteTransaction? transaction) =>
        int.Parse(Scalar(connection, "PRAGMA user_version;", transaction)!, CultureInfo.InvariantCulture);

    private static string? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>A database file whose schema is newer than this build knows: opening it could lose what the newer build wrote.</summary>
public sealed class NewerSchemaException(string file, int version, int known)
    : InvalidOperationException($"{file} has schema version {version}, newer than the {known} this build of MediaFleet knows; run a newer build (or restore an older copy of the file)")
{
    public int Version { get; } = version;

    public int Known { get; } = known;
}

/// <summary>Statements with named parameters, the one way the broker's and the client's stores talk to SQLite.</summary>
public static class SqliteStatements
{
    /// <summary>A command of <paramref name="sql"/> with its <c>$name</c> parameters bound (null as SQL NULL); the caller disposes it.</summary>
    public static SqliteCommand Statement(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    /// <summary>Runs a statement; returns the rows it changed.</summary>
    public static int Execute(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Statement(sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs a query for its first column of its first row (null when there is none).</summary>
    public static object? Scalar(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Statement(sql, parameters);
        return command.ExecuteScalar();
    }
}
