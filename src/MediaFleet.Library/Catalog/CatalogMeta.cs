using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>The <c>meta</c> table: node id, data_version, seen_version, compacted_through.</summary>
internal static class CatalogMeta
{
    public static string? Get(SqliteConnection connection, string key, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT value FROM meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    public static long GetNumber(SqliteConnection connection, string key, SqliteTransaction? tx = null) =>
        Get(connection, key, tx) is { } text ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;

    public static void Set(WriterCommands commands, SqliteTransaction? tx, string key, string value) =>
        commands.Execute(tx, "INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value", ("$key", key), ("$value", value));

    public static void Set(WriterCommands commands, SqliteTransaction? tx, string key, long value) =>
        Set(commands, tx, key, value.ToText());
}
