using MediaFleet.Library.Digests;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>The <c>changes</c> table: the primary's changelog (a follower keeps the primary's entries and versions).</summary>
internal static class Changelog
{
    public static void Insert(WriterCommands commands, SqliteTransaction tx, DataVersion version, ChangeOp op, string path, string? to, Sha256Digest? sha256, long? size, DateTimeOffset at, bool orIgnore = false) =>
        commands.Execute(tx, orIgnore
                ? "INSERT OR IGNORE INTO changes(version, op, path, to_path, sha256, size, at) VALUES ($v, $op, $path, $to, $sha, $size, $at)"
                : "INSERT INTO changes(version, op, path, to_path, sha256, size, at) VALUES ($v, $op, $path, $to, $sha, $size, $at)",
            ("$v", version.Value), ("$op", op.ToText()), ("$path", path), ("$to", to), ("$sha", sha256?.Hex), ("$size", size), ("$at", at.ToText()));

    /// <summary>Entries in (<paramref name="since"/>, <paramref name="through"/>], oldest first, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<ChangeEntry>> ReadAsync(SqliteConnection connection, DataVersion since, DataVersion through, int limit, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
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

    /// <summary>Drops entries up to <paramref name="version"/> and records that they are gone.</summary>
    public static void CompactThrough(WriterCommands commands, SqliteTransaction tx, long version)
    {
        commands.Execute(tx, "DELETE FROM changes WHERE version <= $p", ("$p", version));
        CatalogMeta.Set(commands, tx, "compacted_through", version);
    }
}
