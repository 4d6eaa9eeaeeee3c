using MediaFleet.Library.Digests;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>
/// The <c>intents</c> table: a write recorded before it touches the folder, so start-up recovery can finish a rename
/// whose commit was lost, or drop what never reached the folder.
/// </summary>
internal static class IntentLog
{
    public static long Add(WriterCommands commands, SqliteTransaction? tx, ChangeOp op, string path, string? toPath, Sha256Digest? sha256, long? size, DataVersion? version) =>
        (long)commands.Scalar(tx, "INSERT INTO intents(op, path, to_path, sha256, size, version) VALUES ($op, $path, $to, $sha, $size, $version) RETURNING id",
            ("$op", op.ToText()), ("$path", path), ("$to", toPath), ("$sha", sha256?.Hex), ("$size", size), ("$version", version?.Value))!;

    public static void Drop(WriterCommands commands, SqliteTransaction? tx, long id) =>
        commands.Execute(tx, "DELETE FROM intents WHERE id = $p", ("$p", id));

    public static List<Intent> ReadAll(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
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
}

/// <summary>
/// A write recorded before it touched the folder, so a crash in between can be finished or undone; <see cref="Version"/> is
/// the version the write already has (a follower's replicated change, a heal), null when its commit makes a new one.
/// </summary>
internal sealed record Intent(long Id, ChangeOp Op, string Path, string? ToPath, Sha256Digest? Sha256, long? Size, DataVersion? Version);
