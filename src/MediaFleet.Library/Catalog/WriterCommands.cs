using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>
/// The writer connection's commands, each prepared once and kept for the catalog's lifetime. Microsoft.Data.Sqlite keeps
/// a prepared statement per command object only (dotnet/efcore#14044), so a command made per row compiles its SQL again
/// for every row: in a group commit of 256 files that was a third of the catalog's CPU. Used by one writer at a time
/// (the store's commit lock), like the connection itself.
/// </summary>
internal sealed class WriterCommands(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteConnection Connection => connection;

    /// <summary>Runs <paramref name="sql"/> with these parameter values (null is SQL NULL); returns the rows changed.</summary>
    public int Execute(SqliteTransaction? tx, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        Bound(tx, sql, parameters).ExecuteNonQuery();

    /// <summary>Runs <paramref name="sql"/> and returns the first column of its first row.</summary>
    public object? Scalar(SqliteTransaction? tx, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        Bound(tx, sql, parameters).ExecuteScalar();

    private SqliteCommand Bound(SqliteTransaction? tx, string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, _) in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
            _commands.Add(sql, command);
        }
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            command.Parameters[name].Value = value ?? DBNull.Value;
        }
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
        _commands.Clear();
    }
}
