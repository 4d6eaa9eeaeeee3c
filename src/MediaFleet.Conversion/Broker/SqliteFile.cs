using Microsoft.Data.Sqlite;

namespace MediaFleet.Conversion.Broker;

internal static class SqliteFile
{
    public static SqliteConnection Open(string file, IReadOnlyList<string> migrations)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;";
            pragma.ExecuteNonQuery();
        }
        using var version = connection.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        var current = Convert.ToInt32(version.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        for (var i = current; i < migrations.Count; i++)
        {
            using var transaction = connection.BeginTransaction();
            using var migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            migrate.CommandText = migrations[i] + $"; PRAGMA user_version = {i + 1};";
            migrate.ExecuteNonQuery();
            transaction.Commit();
        }
        return connection;
    }
}
