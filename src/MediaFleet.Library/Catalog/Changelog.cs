using MediaFleet.Library.Digests;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>The <c>changes</c> table: the primary's changelog (a follower keeps the primary's entries and versions).</summary>
internal static class Changelog
{
    public static void Insert(SqliteConnection connection, SqliteTransaction tx, DataVersion version, ChangeOp op, string path, string? to, Sha256Digest? sha256, long? size, DateTimeOffset at, bool orIgnore = false)
    {
        using var command = connection.CreateCommand();
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
    public static void CompactThrough(SqliteConnection connection, SqliteTransaction tx, long version)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "DELETE FROM changes WHERE version <= $p";
        command.Parameters.AddWithValue("$p", version);
        command.ExecuteNonQuery();
        CatalogMeta.Set(connection, tx, "compacted_through", version);
    }
}
