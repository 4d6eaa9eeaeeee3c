using MediaFleet.Library.Digests;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>The <c>missing</c> table: what this node should hold and does not yet (the source of <c>GET /v1/missing</c>).</summary>
internal static class MissingRows
{
    public static void Upsert(SqliteConnection connection, SqliteTransaction? tx, MissingEntry entry)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            INSERT INTO missing(path, version, sha256, reason, attempts, next_try_at) VALUES ($path, $v, $sha, $reason, $attempts, $next)
            ON CONFLICT(path) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256, reason = excluded.reason,
                attempts = excluded.attempts, next_try_at = excluded.next_try_at
            """;
        command.Parameters.AddWithValue("$path", entry.Path);
        command.Parameters.AddWithValue("$v", entry.Version.Value);
        command.Parameters.AddWithValue("$sha", (object?)entry.Sha256?.Hex ?? DBNull.Value);
        command.Parameters.AddWithValue("$reason", entry.Reason);
        command.Parameters.AddWithValue("$attempts", entry.Attempts);
        command.Parameters.AddWithValue("$next", (object?)entry.NextTryAt?.ToText() ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    public static void Delete(SqliteConnection connection, SqliteTransaction tx, string path)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "DELETE FROM missing WHERE path = $p";
        command.Parameters.AddWithValue("$p", path);
        command.ExecuteNonQuery();
    }

    public static List<MissingEntry> ReadAll(SqliteConnection connection)
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
}
