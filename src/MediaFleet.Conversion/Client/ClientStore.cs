using System.Security.Cryptography;
using System.Text.Json;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Library.Storage;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Conversion.Client;

/// <summary>
/// A conversion client's memory (DESIGN.md section 8): its id, sent as <c>X-MFleet-Client</c>, every job it submitted
/// with the last state the broker told, what it fetched, and when each broker last answered, so the client may be
/// offline between submit and fetch. One SQLite file (WAL, synchronous FULL); a watch and a status may share it.
/// </summary>
public sealed class ClientStore : IDisposable
{
    /// <summary>The environment variable that names the file; else <see cref="DefaultFile"/>.</summary>
    public const string FileVariable = "MFLEET_CLIENT_DB";

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE jobs(
            broker TEXT NOT NULL, id TEXT NOT NULL,
            source TEXT NOT NULL, source_sha256 TEXT NOT NULL, source_size INTEGER NOT NULL, source_modified INTEGER NOT NULL,
            profile TEXT NOT NULL, name TEXT NOT NULL, ingest_as TEXT, submitted_at INTEGER NOT NULL,
            state TEXT NOT NULL, job_json TEXT NOT NULL, seen_at INTEGER NOT NULL,
            fetched_path TEXT, fetched_at INTEGER,
            PRIMARY KEY(broker, id));
        CREATE INDEX jobs_source ON jobs(broker, source, profile);
        CREATE INDEX jobs_input ON jobs(broker, source_sha256, profile);
        CREATE TABLE brokers(url TEXT PRIMARY KEY, answered_at INTEGER, silent_since INTEGER);
        """,
    ];

    private const string Columns =
        "broker, id, source, source_sha256, source_size, source_modified, profile, name, ingest_as, submitted_at, job_json, seen_at, fetched_path, fetched_at";

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;

    private ClientStore(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
        ClientId = LoadClientId();
    }

    /// <summary>This client's id: 16 random lowercase letters and digits, made the first time the file was opened.</summary>
    public string ClientId { get; }

    /// <summary><c>$MFLEET_CLIENT_DB</c>, else <c>~/.local/share/mfleet/client.db</c> (XDG_DATA_HOME when set).</summary>
    public static string DefaultFile()
    {
        if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } file)
        {
            return file;
        }
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "mfleet", "client.db");
    }

    /// <summary>Opens (creating it and its folder when new) the store at <paramref name="file"/>.</summary>
    public static ClientStore Open(string file, TimeProvider time)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        Directory.CreateDirectory(folder);
        return new ClientStore(SqliteDatabase.Open(file, Migrations), time);
    }

    /// <summary>The form a broker URL is remembered under, so <c>http://h:1</c> and <c>http://h:1/</c> are one broker.</summary>
    public static string BrokerKey(Uri broker) => broker.AbsoluteUri.TrimEnd('/');

    /// <summary>Records a job this client submitted (or learned again on a resubmit), with the file it came from.</summary>
    public void Remember(string broker, JobDto job, SubmittedFile source, string? ingestAs)
    {
        var now = Ms(_time.GetUtcNow());
        _connection.Execute(
            "INSERT INTO jobs(" + Columns + ", state) VALUES($broker, $id, $source, $sha, $size, $modified, $profile, $name, $ingest, $now, $json, $now, NULL, NULL, $state) " +
            "ON CONFLICT(broker, id) DO UPDATE SET source = excluded.source, source_size = excluded.source_size, " +
            "source_modified = excluded.source_modified, job_json = excluded.job_json, state = excluded.state, seen_at = excluded.seen_at",
            ("$broker", broker), ("$id", job.Id), ("$source", source.Path), ("$sha", source.Sha256), ("$size", source.Size),
            ("$modified", Ms(source.Modified)), ("$profile", job.Profile), ("$name", source.Name), ("$ingest", ingestAs), ("$now", now),
            ("$json", JsonSerializer.Serialize(job, ConversionJson.Default.JobDto)), ("$state", job.State));
    }

    /// <summary>Keeps what the broker just said about a remembered job; returns false when the job is not remembered.</summary>
    public bool Update(string broker, JobDto job) =>
        _connection.Execute(
            "UPDATE jobs SET job_json = $json, state = $state, seen_at = $now WHERE broker = $broker AND id = $id",
            ("$json", JsonSerializer.Serialize(job, ConversionJson.Default.JobDto)), ("$state", job.State), ("$now", Ms(_time.GetUtcNow())),
            ("$broker", broker), ("$id", job.Id)) > 0;

    public void MarkFetched(string broker, string id, string path) =>
        _connection.Execute("UPDATE jobs SET fetched_path = $path, fetched_at = $now WHERE broker = $broker AND id = $id",
            ("$path", path), ("$now", Ms(_time.GetUtcNow())), ("$broker", broker), ("$id", id));

    public ClientJob? Get(string broker, string id) =>
        Query("SELECT " + Columns + " FROM jobs WHERE broker = $broker AND id = $id", ("$broker", broker), ("$id", id)).FirstOrDefault();

    /// <summary>Every job remembered for <paramref name="broker"/>, newest submission first.</summary>
    public IReadOnlyList<ClientJob> List(string broker) =>
        Query("SELECT " + Columns + " FROM jobs WHERE broker = $broker ORDER BY submitted_at DESC, id DESC", ("$broker", broker));

    /// <summary>The newest job submitted from <paramref name="source"/> with <paramref name="profile"/>, if any.</summary>
    public ClientJob? LatestFrom(string broker, string source, string profile) =>
        Query("SELECT " + Columns + " FROM jobs WHERE broker = $broker AND source = $source AND profile = $profile ORDER BY submitted_at DESC, id DESC LIMIT 1",
            ("$broker", broker), ("$source", source), ("$profile", profile)).FirstOrDefault();

    /// <summary>
    /// How many jobs for this input and profile are known to have ended without an output (failed, cancelled): a new
    /// submission after them is a deliberate retry and needs an idempotency key of its own.
    /// </summary>
    public int EndedWithoutOutput(string broker, string sha256, string profile) =>
        Convert.ToInt32(_connection.Scalar(
            "SELECT count(*) FROM jobs WHERE broker = $broker AND source_sha256 = $sha AND profile = $profile AND state IN ('failed', 'cancelled')",
            ("$broker", broker), ("$sha", sha256), ("$profile", profile)), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Notes that <paramref name="broker"/> answered just now.</summary>
    public void BrokerAnswered(string broker) =>
        _connection.Execute("INSERT INTO brokers(url, answered_at, silent_since) VALUES($url, $now, NULL) " +
                "ON CONFLICT(url) DO UPDATE SET answered_at = excluded.answered_at, silent_since = NULL",
            ("$url", broker), ("$now", Ms(_time.GetUtcNow())));

    /// <summary>Notes that <paramref name="broker"/> did not answer, and returns what is known of its silence.</summary>
    public BrokerContact BrokerSilent(string broker)
    {
        _connection.Execute("INSERT INTO brokers(url, answered_at, silent_since) VALUES($url, NULL, $now) " +
                "ON CONFLICT(url) DO UPDATE SET silent_since = coalesce(silent_since, excluded.silent_since)",
            ("$url", broker), ("$now", Ms(_time.GetUtcNow())));
        return Contact(broker);
    }

    public BrokerContact Contact(string broker)
    {
        using var command = _connection.Statement("SELECT answered_at, silent_since FROM brokers WHERE url = $url", ("$url", broker));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new BrokerContact(reader.IsDBNull(0) ? null : FromMs(reader.GetInt64(0)), reader.IsDBNull(1) ? null : FromMs(reader.GetInt64(1)))
            : new BrokerContact(null, null);
    }

    public void Dispose() => _connection.Dispose();

    private string LoadClientId()
    {
        // INSERT OR IGNORE, then read: two clients opening a new file at once agree on the one id that won.
        Span<char> id = stackalloc char[16];
        for (var i = 0; i < id.Length; i++)
        {
            id[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        _connection.Execute("INSERT OR IGNORE INTO settings(key, value) VALUES('client_id', $id)", ("$id", id.ToString()));
        return (string)_connection.Scalar("SELECT value FROM settings WHERE key = 'client_id'")!;
    }

    private List<ClientJob> Query(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = _connection.Statement(sql, parameters);
        using var reader = command.ExecuteReader();
        var jobs = new List<ClientJob>();
        while (reader.Read())
        {
            jobs.Add(new ClientJob
            {
                Broker = reader.GetString(0),
                Id = reader.GetString(1),
                Source = reader.GetString(2),
                SourceSha256 = reader.GetString(3),
                SourceSize = reader.GetInt64(4),
                SourceModified = FromMs(reader.GetInt64(5)),
                Profile = reader.GetString(6),
                Name = reader.GetString(7),
                IngestAs = reader.IsDBNull(8) ? null : reader.GetString(8),
                SubmittedAt = FromMs(reader.GetInt64(9)),
                Job = JsonSerializer.Deserialize(reader.GetString(10), ConversionJson.Default.JobDto)!,
                SeenAt = FromMs(reader.GetInt64(11)),
                FetchedPath = reader.IsDBNull(12) ? null : reader.GetString(12),
                FetchedAt = reader.IsDBNull(13) ? null : FromMs(reader.GetInt64(13)),
            });
        }
        return jobs;
    }

    private static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}

/// <summary>When a broker last answered this client, and since when it has not (null while it answers).</summary>
public sealed record BrokerContact(DateTimeOffset? AnsweredAt, DateTimeOffset? SilentSince);

/// <summary>The local file a job was made from, as it was when it was hashed.</summary>
public sealed record SubmittedFile(string Path, string Name, string Sha256, long Size, DateTimeOffset Modified);
