using MediaFleet.Library.Storage;
using MediaFleet.Testing;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Tests;

/// <summary>Opening a database: WAL, synchronous FULL, a busy timeout, and migrations by user_version.</summary>
public sealed class SqliteDatabaseTests
{
    private static readonly string[] V1 = ["CREATE TABLE jobs(id TEXT PRIMARY KEY, state TEXT NOT NULL)"];
    private static readonly string[] V2 = [.. V1, "ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0; CREATE INDEX jobs_state ON jobs(state);"];

    [Fact]
    public void FreshFile_GetsEveryMigration_AndItsVersion()
    {
        using var folder = new TempFolder();

        using var db = SqliteDatabase.Open(folder.Combine("broker.db"), V2);

        Assert.Equal(2, SqliteDatabase.SchemaVersion(db));
        Execute(db, "INSERT INTO jobs(id, state) VALUES ('a', 'queued')");
        Assert.Equal("0", Scalar(db, "SELECT attempts FROM jobs WHERE id = 'a'"));
        Assert.Equal("1", Scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'jobs_state'"));
    }

    [Fact]
    public void Pragmas_AreSet()
    {
        using var folder = new TempFolder();

        using var db = SqliteDatabase.Open(folder.Combine("client.db"), V1);

        Assert.Equal("wal", Scalar(db, "PRAGMA journal_mode"));
        Assert.Equal("2", Scalar(db, "PRAGMA synchronous")); // FULL
        Assert.Equal(((long)SqliteDatabase.BusyTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(db, "PRAGMA busy_timeout"));
    }

    [Fact]
    public void Reopen_AppliesNothing_AndKeepsTheRows()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("broker.db");
        using (var first = SqliteDatabase.Open(file, V1))
        {
            Execute(first, "INSERT INTO jobs(id, state) VALUES ('a', 'queued')");
        }

        // Applying V1's CREATE TABLE again would fail: the open succeeds only if nothing is re-run.
        using var again = SqliteDatabase.Open(file, V1);

        Assert.Equal(1, SqliteDatabase.SchemaVersion(again));
        Assert.Equal("queued", Scalar(again, "SELECT state FROM jobs WHERE id = 'a'"));
    }

    [Fact]
    public void OneNewMigration_IsAppliedOnTopOfTheOldSchema()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("broker.db");
        using (var old = SqliteDatabase.Open(file, V1))
        {
            Execute(old, "INSERT INTO jobs(id, state) VALUES ('a', 'queued')");
        }

        using var db = SqliteDatabase.Open(file, V2);

        Assert.Equal(2, SqliteDatabase.SchemaVersion(db));
        Assert.Equal("0", Scalar(db, "SELECT attempts FROM jobs WHERE id = 'a'"));
    }

    [Fact]
    public void FailingMigration_LeavesTheFileAtThePreviousVersion()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("broker.db");
        SqliteDatabase.Open(file, V1).Dispose();

        Assert.Throws<SqliteException>(() => SqliteDatabase.Open(file, [.. V1, "CREATE TABLE extra(x); INSERT INTO nowhere VALUES (1)"]));

        using var db = SqliteDatabase.Open(file, V1);
        Assert.Equal(1, SqliteDatabase.SchemaVersion(db));
        Assert.Equal("0", Scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"));
    }

    [Fact]
    public void FileFromNewerCode_IsRefused_Untouched()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("broker.db");
        SqliteDatabase.Open(file, V2).Dispose();

        var e = Assert.Throws<NewerSchemaException>(() => SqliteDatabase.Open(file, V1));

        Assert.Equal(2, e.Version);
        Assert.Equal(1, e.Known);
        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
        using var db = SqliteDatabase.Open(file, V2);
        Assert.Equal(2, SqliteDatabase.SchemaVersion(db));
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string? Scalar(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
