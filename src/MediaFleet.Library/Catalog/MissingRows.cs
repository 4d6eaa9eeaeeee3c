using MediaFleet.Library.Digests;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>The <c>missing</c> table: what this node should hold and does not yet (the source of <c>GET /v1/missing</c>).</summary>
internal static class MissingRows
{
    public static void Upsert(WriterCommands commands, SqliteTransaction? tx, MissingEntry entry) =>
        commands.Execute(tx, """
            INSERT INTO missing(path, version, sha256, reason, attempts, next_try_at) VALUES ($path, $v, $sha, $reason, $attempts, $next)
            ON CONFLICT(path) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256, reason = excluded.reason,
                attempts = excluded.attempts, next_try_at = excluded.next_try_at
            """,
            ("$path", entry.Path), ("$v", entry.Version.Value), ("$sha", entry.Sha256?.Hex), ("$reason", entry.Reason),
            ("$attempts", entry.Attempts), ("$next", entry.NextTryAt?.ToText()));

    public static void Delete(WriterCommands commands, SqliteTransaction tx, string path) =>
        commands.Execute(tx, "DELETE FROM missing WHERE path = $p", ("$p", path));

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
