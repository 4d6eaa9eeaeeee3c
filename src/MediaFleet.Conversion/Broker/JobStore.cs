using MediaFleet.Contracts.Conversion;
using MediaFleet.Library.Storage;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Conversion.Broker;

/// <summary>
/// The broker's jobs in <c>&lt;data&gt;/broker.db</c> (SQLite, WAL, synchronous FULL): every change of a job is one
/// statement under one lock, committed before it is answered, so a broker killed at any moment loses no job.
/// </summary>
internal sealed class JobStore : IDisposable
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE jobs(
            id TEXT PRIMARY KEY, client TEXT NOT NULL, profile TEXT NOT NULL, name TEXT NOT NULL,
            sha256 TEXT NOT NULL, size INTEGER NOT NULL, input_duration REAL,
            state TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, eta_seconds REAL,
            attempts INTEGER NOT NULL DEFAULT 0, error TEXT, stderr_tail TEXT,
            created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
            worker TEXT, lease_token TEXT, lease_expires_at INTEGER,
            output_sha256 TEXT, output_size INTEGER, output_duration REAL,
            ingest_path TEXT, ingest_state TEXT, ingest_version INTEGER, ingest_error TEXT,
            idempotency_key TEXT, fetched_at INTEGER, files_removed INTEGER NOT NULL DEFAULT 0);
        CREATE UNIQUE INDEX jobs_idempotency ON jobs(client, idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX jobs_input ON jobs(client, sha256, profile);
        CREATE INDEX jobs_state ON jobs(state, created_at);
        """,
    ];

    private const string Columns =
        "id, client, profile, name, sha256, size, input_duration, state, progress, eta_seconds, attempts, error, stderr_tail, created_at, " +
        "updated_at, started_at, finished_at, worker, lease_token, lease_expires_at, output_sha256, output_size, output_duration, ingest_path, " +
        "ingest_state, ingest_version, ingest_error, idempotency_key, fetched_at, files_removed";

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    private JobStore(SqliteConnection connection) => _connection = connection;

    public static JobStore Open(string file) => new(SqliteDatabase.Open(file, Migrations));

    public Job? Get(string id)
    {
        lock (_gate)
        {
            return QueryOne("SELECT " + Columns + " FROM jobs WHERE id = $id", ("$id", id));
        }
    }

    /// <summary>Jobs newest first, of one client and/or state when given.</summary>
    public IReadOnlyList<Job> List(string? client, string? state, int limit)
    {
        lock (_gate)
        {
            return Query(
                "SELECT " + Columns + " FROM jobs WHERE ($client IS NULL OR client = $client) AND ($state IS NULL OR state = $state) " +
                "ORDER BY created_at DESC, id DESC LIMIT $limit",
                ("$client", client), ("$state", state), ("$limit", limit));
        }
    }

    /// <summary>A job the same client already has for this key, or for this input and profile while it is not lost.</summary>
    public Job? FindExisting(string client, string? idempotencyKey, string? sha256, string profile)
    {
        lock (_gate)
        {
            return FindExistingLocked(client, idempotencyKey, sha256, profile);
        }
    }

    /// <summary>Inserts <paramref name="job"/>, unless a job it duplicates appeared meanwhile: then that one is returned.</summary>
    public (Job Job, bool Created) InsertUnlessExisting(Job job)
    {
        lock (_gate)
        {
            if (FindExistingLocked(job.Client, job.IdempotencyKey, job.Sha256, job.Profile) is { } existing)
            {
                return (existing, false);
            }
            _connection.Execute(
                "INSERT INTO jobs(id, client, profile, name, sha256, size, input_duration, state, created_at, updated_at, ingest_path, ingest_state, idempotency_key) " +
                "VALUES($id, $client, $profile, $name, $sha256, $size, $duration, $state, $now, $now, $ingest, $ingestState, $key)",
                ("$id", job.Id), ("$client", job.Client), ("$profile", job.Profile), ("$name", job.Name), ("$sha256", job.Sha256),
                ("$size", job.Size), ("$duration", job.InputDuration), ("$state", job.State), ("$now", Ms(job.CreatedAt)),
                ("$ingest", job.IngestPath), ("$ingestState", job.IngestPath is null ? null : IngestStates.Pending), ("$key", job.IdempotencyKey));
            return (QueryOne("SELECT " + Columns + " FROM jobs WHERE id = $id", ("$id", job.Id))!, true);
        }
    }

    /// <summary>Leases the oldest queued job whose input fits <paramref name="maxInputBytes"/>, or null.</summary>
    public Job? Lease(string worker, long maxInputBytes, string token, DateTimeOffset now, TimeSpan leaseTime)
    {
        lock (_gate)
        {
            var next = QueryOne(
                "SELECT " + Columns + " FROM jobs WHERE state = 'queued' AND size <= $max ORDER BY created_at, id LIMIT 1", ("$max", maxInputBytes));
            if (next is null)
            {
                return null;
            }
            _connection.Execute(
                "UPDATE jobs SET state = 'running', worker = $worker, lease_token = $token, lease_expires_at = $expires, progress = 0, eta_seconds = NULL, " +
                "started_at = $now, updated_at = $now WHERE id = $id",
                ("$worker", worker), ("$token", token), ("$expires", Ms(now + leaseTime)), ("$now", Ms(now)), ("$id", next.Id));
            return Get(next.Id);
        }
    }

    /// <summary>The running job this lease token holds, or null when the lease is lost (expired, cancelled, finished).</summary>
    public Job? Leased(string id, string token)
    {
        lock (_gate)
        {
            return LeasedLocked(id, token);
        }
    }

    /// <summary>Records progress and renews the lease; null when the lease is lost.</summary>
    public Job? Renew(string id, string token, double progress, double? etaSeconds, DateTimeOffset now, TimeSpan leaseTime)
    {
        lock (_gate)
        {
            if (LeasedLocked(id, token) is null)
            {
                return null;
            }
            _connection.Execute(
                "UPDATE jobs SET progress = $progress, eta_seconds = $eta, lease_expires_at = $expires, updated_at = $now WHERE id = $id",
                ("$progress", Math.Clamp(progress, 0, 1)), ("$eta", etaSeconds), ("$expires", Ms(now + leaseTime)), ("$now", Ms(now)), ("$id", id));
            return Get(id);
        }
    }

    /// <summary>Hands a leased job back to the queue without counting an attempt; null when the lease is lost.</summary>
    public Job? Release(string id, string token, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (LeasedLocked(id, token) is null)
            {
                return null;
            }
            _connection.Execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, lease_token = NULL, lease_expires_at = NULL, progress = 0, eta_seconds = NULL, " +
                "updated_at = $now WHERE id = $id",
                ("$now", Ms(now)), ("$id", id));
            return Get(id);
        }
    }

    /// <summary>
    /// Counts a failed attempt of a leased job: queued again, or failed once <paramref name="maxAttempts"/> are used.
    /// Null when the lease is lost.
    /// </summary>
    public Job? FailAttempt(string id, string token, string error, string? stderrTail, int maxAttempts, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (LeasedLocked(id, token) is null)
            {
                return null;
            }
            FailAttemptLocked(id, error, stderrTail, maxAttempts, now);
            return Get(id);
        }
    }

    /// <summary>Marks a leased job succeeded with its checked output; null when the lease is lost.</summary>
    public Job? Succeed(string id, string token, string outputSha256, long outputSize, double? outputDuration, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (LeasedLocked(id, token) is null)
            {
                return null;
            }
            _connection.Execute(
                "UPDATE jobs SET state = 'succeeded', progress = 1, eta_seconds = 0, lease_token = NULL, lease_expires_at = NULL, error = NULL, " +
                "output_sha256 = $sha, output_size = $size, output_duration = $duration, finished_at = $now, updated_at = $now WHERE id = $id",
                ("$sha", outputSha256), ("$size", outputSize), ("$duration", outputDuration), ("$now", Ms(now)), ("$id", id));
            return Get(id);
        }
    }

    /// <summary>Returns every running job whose lease expired to the queue, counting an attempt; the jobs it changed.</summary>
    public IReadOnlyList<Job> ExpireLeases(DateTimeOffset now, int maxAttempts)
    {
        lock (_gate)
        {
            var expired = Query("SELECT " + Columns + " FROM jobs WHERE state = 'running' AND lease_expires_at < $now", ("$now", Ms(now)));
            foreach (var job in expired)
            {
                FailAttemptLocked(job.Id, $"the lease of worker {job.Worker} expired (worker killed or cut off)", job.StderrTail, maxAttempts, now);
            }
            return [.. expired.Select(j => Get(j.Id)!)];
        }
    }

    /// <summary>
    /// Start-up: a running job's lease runs at least until <paramref name="until"/>. Its worker could not renew while the
    /// broker was down, so a restart taking longer than a lease must not count an attempt against every running job.
    /// </summary>
    public int ExtendLeases(DateTimeOffset until)
    {
        lock (_gate)
        {
            return _connection.Execute(
                "UPDATE jobs SET lease_expires_at = max(lease_expires_at, $until) WHERE state = 'running' AND lease_token IS NOT NULL", ("$until", Ms(until)));
        }
    }

    /// <summary>Cancels a job that has not finished; returns it and whether it was running, or the finished job unchanged.</summary>
    public (Job? Job, bool Cancelled) Cancel(string id, DateTimeOffset now)
    {
        lock (_gate)
        {
            var job = Get(id);
            if (job is null || JobStates.IsFinished(job.State))
            {
                return (job, false);
            }
            _connection.Execute(
                "UPDATE jobs SET state = 'cancelled', lease_token = NULL, lease_expires_at = NULL, eta_seconds = NULL, finished_at = $now, " +
                "updated_at = $now WHERE id = $id",
                ("$now", Ms(now)), ("$id", id));
            return (Get(id), true);
        }
    }

    public void SetIngest(string id, string state, long? version, string? error, DateTimeOffset now)
    {
        lock (_gate)
        {
            _connection.Execute(
                "UPDATE jobs SET ingest_state = $state, ingest_version = $version, ingest_error = $error, updated_at = $now WHERE id = $id",
                ("$state", state), ("$version", version), ("$error", error), ("$now", Ms(now)), ("$id", id));
        }
    }

    /// <summary>Succeeded jobs whose output still waits to enter the library.</summary>
    public IReadOnlyList<Job> PendingIngests()
    {
        lock (_gate)
        {
            return Query("SELECT " + Columns + " FROM jobs WHERE state = 'succeeded' AND ingest_state = 'pending' ORDER BY finished_at");
        }
    }

    public void MarkFetched(string id, DateTimeOffset now)
    {
        lock (_gate)
        {
            _connection.Execute("UPDATE jobs SET fetched_at = COALESCE(fetched_at, $now) WHERE id = $id", ("$now", Ms(now)), ("$id", id));
        }
    }

    /// <summary>
    /// Finished jobs whose files may go: succeeded ones fetched before <paramref name="before"/> (and in the library when
    /// asked to be), failed and cancelled ones finished before it.
    /// </summary>
    public IReadOnlyList<Job> ExpiredFiles(DateTimeOffset before)
    {
        lock (_gate)
        {
            return Query(
                "SELECT " + Columns + " FROM jobs WHERE files_removed = 0 AND (" +
                "(state = 'succeeded' AND fetched_at < $before AND (ingest_state IS NULL OR ingest_state != 'pending')) OR " +
                "(state IN ('failed', 'cancelled') AND finished_at < $before))",
                ("$before", Ms(before)));
        }
    }

    public void MarkFilesRemoved(string id)
    {
        lock (_gate)
        {
            _connection.Execute("UPDATE jobs SET files_removed = 1 WHERE id = $id", ("$id", id));
        }
    }

    /// <summary>Whether a job of this id exists (a folder under jobs/ without one is a leftover of a crash).</summary>
    public bool Exists(string id)
    {
        lock (_gate)
        {
            return _connection.Scalar("SELECT 1 FROM jobs WHERE id = $id", ("$id", id)) is not null;
        }
    }

    public IReadOnlyDictionary<string, long> CountByState()
    {
        lock (_gate)
        {
            using var command = _connection.Statement("SELECT state, count(*) FROM jobs GROUP BY state");
            using var reader = command.ExecuteReader();
            var counts = JobStates.All.ToDictionary(s => s, _ => 0L);
            while (reader.Read())
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }
            return counts;
        }
    }

    public void Dispose() => _connection.Dispose();

    private Job? FindExistingLocked(string client, string? idempotencyKey, string? sha256, string profile)
    {
        if (idempotencyKey is not null
            && QueryOne("SELECT " + Columns + " FROM jobs WHERE client = $client AND idempotency_key = $key", ("$client", client), ("$key", idempotencyKey)) is { } keyed)
        {
            if (keyed.State is JobStates.Queued or JobStates.Running || keyed.State == JobStates.Succeeded && !keyed.FilesRemoved)
            {
                return keyed;
            }
            // A key names a submission that can still give its output: after a failure, a cancel or the clean-up it is free
            // again, so the same file submitted again becomes a new job.
            _connection.Execute("UPDATE jobs SET idempotency_key = NULL WHERE id = $id", ("$id", keyed.Id));
        }
        return sha256 is null
            ? null
            : QueryOne(
                "SELECT " + Columns + " FROM jobs WHERE client = $client AND sha256 = $sha AND profile = $profile " +
                "AND state IN ('queued', 'running', 'succeeded') AND files_removed = 0 ORDER BY created_at DESC LIMIT 1",
                ("$client", client), ("$sha", sha256), ("$profile", profile));
    }

    private Job? LeasedLocked(string id, string token) =>
        QueryOne("SELECT " + Columns + " FROM jobs WHERE id = $id AND state = 'running' AND lease_token = $token", ("$id", id), ("$token", token));

    private void FailAttemptLocked(string id, string error, string? stderrTail, int maxAttempts, DateTimeOffset now) =>
        _connection.Execute(
            "UPDATE jobs SET attempts = attempts + 1, error = $error, stderr_tail = $tail, lease_token = NULL, lease_expires_at = NULL, " +
            "eta_seconds = NULL, updated_at = $now, " +
            "state = CASE WHEN attempts + 1 >= $max THEN 'failed' ELSE 'queued' END, " +
            "finished_at = CASE WHEN attempts + 1 >= $max THEN $now ELSE NULL END, " +
            "progress = CASE WHEN attempts + 1 >= $max THEN progress ELSE 0 END, " +
            "worker = CASE WHEN attempts + 1 >= $max THEN worker ELSE NULL END " +
            "WHERE id = $id",
            ("$error", error), ("$tail", stderrTail), ("$now", Ms(now)), ("$max", maxAttempts), ("$id", id));

    private Job? QueryOne(string sql, params (string Name, object? Value)[] parameters) => Query(sql, parameters).FirstOrDefault();

    private List<Job> Query(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = _connection.Statement(sql, parameters);
        using var reader = command.ExecuteReader();
        var jobs = new List<Job>();
        while (reader.Read())
        {
            jobs.Add(Read(reader));
        }
        return jobs;
    }

    private static Job Read(SqliteDataReader r)
    {
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        double? Real(int i) => r.IsDBNull(i) ? null : r.GetDouble(i);
        long? Int(int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
        DateTimeOffset? At(int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));
        return new Job
        {
            Id = r.GetString(0), Client = r.GetString(1), Profile = r.GetString(2), Name = r.GetString(3), Sha256 = r.GetString(4),
            Size = r.GetInt64(5), InputDuration = Real(6), State = r.GetString(7), Progress = r.GetDouble(8), EtaSeconds = Real(9),
            Attempts = r.GetInt32(10), Error = Text(11), StderrTail = Text(12), CreatedAt = At(13)!.Value, UpdatedAt = At(14)!.Value,
            StartedAt = At(15), FinishedAt = At(16), Worker = Text(17), LeaseToken = Text(18), LeaseExpiresAt = At(19), OutputSha256 = Text(20),
            OutputSize = Int(21), OutputDuration = Real(22), IngestPath = Text(23), IngestState = Text(24), IngestVersion = Int(25),
            IngestError = Text(26), IdempotencyKey = Text(27), FetchedAt = At(28), FilesRemoved = r.GetInt64(29) != 0,
        };
    }

    private static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();
}
