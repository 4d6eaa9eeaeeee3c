using System.Globalization;
using MediaFleet.Library.Digests;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Catalog;

/// <summary>The SQL of the <c>files</c> table: one row per copy this node holds.</summary>
internal static class FileRows
{
    private const string Columns = "path, sha256, size, version, mtime, verified_at, state";

    public static void Upsert(WriterCommands commands, SqliteTransaction tx, FileEntry entry) =>
        commands.Execute(tx, """
            INSERT INTO files(path, sha256, size, version, mtime, verified_at, state) VALUES ($path, $sha, $size, $v, $mtime, $verified, $state)
            ON CONFLICT(path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, version = excluded.version,
                mtime = excluded.mtime, verified_at = excluded.verified_at, state = excluded.state
            """,
            ("$path", entry.Path), ("$sha", entry.Sha256.Hex), ("$size", entry.Size), ("$v", entry.Version.Value),
            ("$mtime", entry.Modified.ToUnixTimeMilliseconds()), ("$verified", entry.VerifiedAt?.ToText()), ("$state", entry.State.ToText()));

    public static void Delete(WriterCommands commands, SqliteTransaction tx, string path) =>
        commands.Execute(tx, "DELETE FROM files WHERE path = $p", ("$p", path));

    /// <summary>Whether the digest index exists (a bulk load that did not end leaves it dropped).</summary>
    public static bool HasDigestIndex(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = '" + CatalogSchema.DigestIndexName + "'";
        return (long)command.ExecuteScalar()! > 0;
    }

    public static void DropDigestIndex(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DROP INDEX IF EXISTS " + CatalogSchema.DigestIndexName;
        command.ExecuteNonQuery();
    }

    /// <summary>Builds the digest index when it is not there (one sorted pass over the table).</summary>
    public static void BuildDigestIndex(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = CatalogSchema.DigestIndex;
        command.ExecuteNonQuery();
    }

    /// <summary>One copy by path, straight from SQLite (while the in-memory index is still loading).</summary>
    public static FileEntry? Find(SqliteConnection connection, string path)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM files WHERE path = $p";
        command.Parameters.AddWithValue("$p", path);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>The paths of copies with this digest (the <c>files_sha256</c> index).</summary>
    public static List<string> PathsWithDigest(SqliteConnection connection, Sha256Digest sha256)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT path FROM files WHERE sha256 = $sha AND state = 'ok' LIMIT 8";
        command.Parameters.AddWithValue("$sha", sha256.Hex);
        using var reader = command.ExecuteReader();
        var paths = new List<string>();
        while (reader.Read())
        {
            paths.Add(reader.GetString(0));
        }
        return paths;
    }

    /// <summary>A command reading every copy equal to or under <paramref name="prefix"/> (all when empty), in path order.</summary>
    public static SqliteCommand Select(SqliteConnection connection, string prefix) => Under(connection, $"SELECT {Columns} FROM files", prefix, " ORDER BY path");

    /// <summary>How many copies, and bytes, are equal to or under <paramref name="prefix"/> (all when empty).</summary>
    public static (long Count, long Bytes) Totals(SqliteConnection connection, SqliteTransaction? tx, string prefix)
    {
        using var command = Under(connection, "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files", prefix, "");
        command.Transaction = tx;
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static SqliteCommand Under(SqliteConnection connection, string select, string prefix, string order)
    {
        var command = connection.CreateCommand();
        prefix = prefix.TrimEnd('/');
        if (prefix.Length == 0)
        {
            command.CommandText = select + order;
        }
        else
        {
            // Range scan on the primary key: every path equal to the prefix or under "prefix/" ('0' follows '/').
            command.CommandText = select + " WHERE path = $p OR (path >= $lo AND path < $hi)" + order;
            command.Parameters.AddWithValue("$p", prefix);
            command.Parameters.AddWithValue("$lo", prefix + "/");
            command.Parameters.AddWithValue("$hi", prefix + "0");
        }
        return command;
    }

    /// <summary>Reads a row of the columns <see cref="Select"/> and <see cref="Find"/> ask for.</summary>
    public static FileEntry Read(SqliteDataReader reader) => new(
        reader.GetString(0),
        Sha256Digest.ParseHex(reader.GetString(1)),
        reader.GetInt64(2),
        new DataVersion(reader.GetInt64(3)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        reader.IsDBNull(5) ? null : EntryText.ParseTime(reader.GetString(5)),
        EntryText.ParseState(reader.GetString(6)));

    /// <summary>How many rows and bytes <c>files</c> holds.</summary>
    public static (long Count, long Bytes) Totals(SqliteConnection connection, SqliteTransaction? tx = null) => Totals(connection, tx, "");

    internal static string ToText(this long value) => value.ToString(CultureInfo.InvariantCulture);
}
