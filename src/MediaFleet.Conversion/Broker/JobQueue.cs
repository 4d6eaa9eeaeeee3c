using System.Security.Cryptography;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Conversion.Ffmpeg;
using MediaFleet.Conversion.Profiles;
using MediaFleet.Library.Digests;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Conversion.Broker;

/// <summary>What became of a submission.</summary>
internal enum SubmitStatus
{
    Created,
    Existing,
    UnsupportedMedia,
    InsufficientStorage,
    Truncated,
    DigestMismatch,
}

/// <summary>A submission's outcome: the job (new or existing) or why there is none.</summary>
internal sealed record SubmitOutcome(SubmitStatus Status, Job? Job, string? Detail = null);

/// <summary>A submission before its body: validated at the edge.</summary>
internal sealed record Submission(string Client, ConversionProfile Profile, string Name, string? IngestAs, string? IdempotencyKey, Sha256Digest? Announced, long? Length);

/// <summary>The outcome of an uploaded output: the job as it now stands, or that the lease was lost.</summary>
internal sealed record CompleteOutcome(Job? Job, ReceiveStatus Receive, string? Detail);

/// <summary>
/// The broker's queue: takes submissions, leases jobs to workers, records progress, and decides success by probing each
/// output itself. Every state change is committed in <see cref="JobStore"/> before it is answered.
/// </summary>
internal sealed class JobQueue(
    JobStore store, JobFiles files, BrokerOptions options, ProfileCatalog profiles, BrokerMetrics metrics, TimeProvider time, ILogger<JobQueue> logger)
{
    private readonly Lock _signalGate = new();
    private TaskCompletionSource _queued = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _succeeded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobStore Store => store;

    public JobFiles Files => files;

    public ProfileCatalog Profiles => profiles;

    private TimeSpan LeaseTime => TimeSpan.FromSeconds(options.LeaseSeconds);

    /// <summary>The job an earlier submission made, found before the body is read (by key, or by the announced digest).</summary>
    public Job? FindExisting(Submission submission) =>
        store.FindExisting(submission.Client, submission.IdempotencyKey, submission.Announced?.Hex, submission.Profile.Name);

    /// <summary>
    /// Receives an input, refuses one without a stream the profile takes (nothing kept), and queues a job, unless the same
    /// client already has one for the key or for this input and profile.
    /// </summary>
    public async Task<SubmitOutcome> SubmitAsync(Submission submission, Stream body, CancellationToken cancellationToken)
    {
        using var received = await files.ReceiveAsync(body, submission.Length, submission.Announced, cancellationToken).ConfigureAwait(false);
        if (received.Status is not ReceiveStatus.Received)
        {
            return new SubmitOutcome(received.Status switch
            {
                ReceiveStatus.InsufficientStorage => SubmitStatus.InsufficientStorage,
                ReceiveStatus.Truncated => SubmitStatus.Truncated,
                _ => SubmitStatus.DigestMismatch,
            }, null, received.Detail);
        }
        var write = received.Write!;
        if (store.FindExisting(submission.Client, submission.IdempotencyKey, write.Sha256.Hex, submission.Profile.Name) is { } existing)
        {
            return new SubmitOutcome(SubmitStatus.Existing, existing);
        }
        var probe = await Ffprobe.ProbeAsync(write.TempPath, cancellationToken).ConfigureAwait(false);
        if (ConversionRules.InputError(submission.Profile, probe) is { } why)
        {
            return new SubmitOutcome(SubmitStatus.UnsupportedMedia, null, $"{why}; profile {submission.Profile.Name} takes {submission.Profile.MediaName}");
        }
        var now = time.GetUtcNow();
        var id = NewId(now);
        // The input is in its job's folder before the job exists: a crash between the two leaves a folder that start-up
        // deletes, never a job without its input.
        JobFiles.Install(write, files.InputOf(id));
        var (job, created) = store.InsertUnlessExisting(new Job
        {
            Id = id, Client = submission.Client, Profile = submission.Profile.Name, Name = submission.Name, Sha256 = write.Sha256.Hex,
            Size = write.Length, InputDuration = probe.EffectiveDuration?.TotalSeconds, State = JobStates.Queued, CreatedAt = now, UpdatedAt = now,
            IngestPath = submission.IngestAs, IdempotencyKey = submission.IdempotencyKey,
        });
        if (!created)
        {
            JobFiles.TryDeleteFolder(files.FolderOf(id));
            return new SubmitOutcome(SubmitStatus.Existing, job);
        }
        Log.Queued(logger, job.Id, job.Profile, job.Name, job.Size, job.Client);
        SignalQueued();
        return new SubmitOutcome(SubmitStatus.Created, job);
    }

    /// <summary>
    /// Leases the oldest queued job whose input fits the worker's scratch space, waiting up to <paramref name="wait"/>
    /// for one to be queued; null when none came.
    /// </summary>
    public async Task<(Job Job, ConversionProfile Profile)?> LeaseAsync(string worker, long maxInputBytes, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            var signal = QueuedSignal();
            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            if (store.Lease(worker, maxInputBytes, token, time.GetUtcNow(), LeaseTime) is { } job)
            {
                if (profiles.TryGet(job.Profile, out var profile))
                {
                    Log.Leased(logger, job.Id, worker, job.Attempts);
                    return (job, profile);
                }
                // The profile was removed from the configuration since the job was queued: it can never run.
                store.FailAttempt(job.Id, token, $"the profile {job.Profile} is no longer configured", null, maxAttempts: 1, time.GetUtcNow());
                continue;
            }
            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return null;
            }
            try
            {
                await signal.WaitAsync(left, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }

    public Job? Renew(string id, string token, double progress, double? etaSeconds) =>
        store.Renew(id, token, progress, etaSeconds, time.GetUtcNow(), LeaseTime);

    public Job? Release(string id, string token)
    {
        var job = store.Release(id, token, time.GetUtcNow());
        if (job is not null)
        {
            Log.Released(logger, id, job.Attempts);
            SignalQueued();
        }
        return job;
    }

    public Job? Fail(string id, string token, string error, string? stderrTail)
    {
        var job = store.FailAttempt(id, token, OneLine(error), stderrTail, options.MaxAttempts, time.GetUtcNow());
        if (job is not null)
        {
            AfterFailedAttempt(job);
        }
        return job;
    }

    /// <summary>
    /// Receives a worker's output, checks its digest, probes it and compares it with the input: a job succeeds only when
    /// the output holds the profile's stream kinds and, for audio and video, lasts as long as the input within
    /// max(1 s, 1 %). Anything else counts as a failed attempt with the reason.
    /// </summary>
    public async Task<CompleteOutcome> CompleteAsync(string id, string token, Stream body, long? length, Sha256Digest? announced, CancellationToken cancellationToken)
    {
        if (store.Leased(id, token) is not { } job)
        {
            return new CompleteOutcome(null, ReceiveStatus.Received, null);
        }
        using var received = await files.ReceiveAsync(body, length, announced, cancellationToken).ConfigureAwait(false);
        if (received.Status is not ReceiveStatus.Received)
        {
            if (received.Status is ReceiveStatus.DigestMismatch or ReceiveStatus.Truncated)
            {
                return new CompleteOutcome(Fail(id, token, "the output upload was damaged: " + received.Detail, null), received.Status, received.Detail);
            }
            return new CompleteOutcome(job, received.Status, received.Detail);
        }
        var write = received.Write!;
        if (!profiles.TryGet(job.Profile, out var profile))
        {
            return new CompleteOutcome(Fail(id, token, $"the profile {job.Profile} is no longer configured", null), ReceiveStatus.Received, null);
        }
        var output = await Ffprobe.ProbeAsync(write.TempPath, cancellationToken).ConfigureAwait(false);
        var input = new MediaProbe(null, job.InputDuration is { } seconds ? TimeSpan.FromSeconds(seconds) : null, []);
        var problem = ConversionRules.OutputError(profile.Media, input, output);
        if (problem is not null)
        {
            return new CompleteOutcome(Fail(id, token, "the output is not acceptable: " + problem, job.StderrTail), ReceiveStatus.Received, problem);
        }
        // Installed before the job says succeeded: a crash between leaves a running job whose lease expires and runs again.
        JobFiles.Install(write, files.OutputOf(id, profile.Extension));
        var done = store.Succeed(id, token, write.Sha256.Hex, write.Length, output.EffectiveDuration?.TotalSeconds, time.GetUtcNow());
        if (done is null)
        {
            // Cancelled or expired while the output arrived: what was installed goes with the job's files.
            JobFiles.TryDelete(files.OutputOf(id, profile.Extension));
            return new CompleteOutcome(null, ReceiveStatus.Received, null);
        }
        Log.Succeeded(logger, id, write.Length, (time.GetUtcNow() - (done.StartedAt ?? done.CreatedAt)).TotalSeconds);
        metrics.Encoded(time.GetUtcNow() - (done.StartedAt ?? done.CreatedAt));
        metrics.Ended(JobStates.Succeeded);
        Fire(ref _succeeded);
        return new CompleteOutcome(done, ReceiveStatus.Received, null);
    }

    /// <summary>Cancels a job: returns it now cancelled, the finished job unchanged (not cancelled), or null when unknown.</summary>
    public (Job? Job, bool Cancelled) Cancel(string id)
    {
        var (job, cancelled) = store.Cancel(id, time.GetUtcNow());
        if (cancelled)
        {
            Log.Cancelled(logger, id);
            metrics.Ended(JobStates.Cancelled);
        }
        return (job, cancelled);
    }

    /// <summary>Returns every job whose lease expired to the queue (or fails it after its last attempt).</summary>
    public IReadOnlyList<Job> ExpireLeases()
    {
        var expired = store.ExpireLeases(time.GetUtcNow(), options.MaxAttempts);
        foreach (var job in expired)
        {
            Log.LeaseExpired(logger, job.Id, job.Attempts);
            AfterFailedAttempt(job);
        }
        return expired;
    }

    /// <summary>Where a finished job's output is, when it has one.</summary>
    public string? OutputFileOf(Job job) =>
        job.State == JobStates.Succeeded && profiles.TryGet(job.Profile, out var profile) ? files.OutputOf(job.Id, profile.Extension)
        : job.State == JobStates.Succeeded ? Directory.EnumerateFiles(files.FolderOf(job.Id), "output.*").FirstOrDefault()
        : null;

    private void AfterFailedAttempt(Job job)
    {
        if (job.State == JobStates.Failed)
        {
            Log.Failed(logger, job.Id, job.Attempts, job.Error ?? "");
            metrics.Ended(JobStates.Failed);
        }
        else
        {
            SignalQueued();
        }
    }

    private Task QueuedSignal()
    {
        lock (_signalGate)
        {
            return _queued.Task;
        }
    }

    private void SignalQueued() => Fire(ref _queued);

    /// <summary>Waits until a job succeeds or <paramref name="wait"/> passes (the library ingest's idle wait).</summary>
    public async Task WaitForSuccessAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_signalGate)
        {
            signal = _succeeded.Task;
        }
        try
        {
            await signal.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Nothing succeeded meanwhile: the caller looks again anyway (a retry after a failed put).
        }
    }

    private void Fire(ref TaskCompletionSource signal)
    {
        TaskCompletionSource fired;
        lock (_signalGate)
        {
            fired = signal;
            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        fired.TrySetResult();
    }

    /// <summary>A job id: 48 bits of milliseconds then 32 random bits in lowercase base32, so ids sort by creation.</summary>
    internal static string NewId(DateTimeOffset now)
    {
        const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
        Span<byte> random = stackalloc byte[4];
        RandomNumberGenerator.Fill(random);
        var value = ((UInt128)(ulong)now.ToUnixTimeMilliseconds() << 32) | System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(random);
        Span<char> id = stackalloc char[16];
        for (var i = id.Length - 1; i >= 0; i--)
        {
            id[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        return new string(id);
    }

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 500 ? line : line[..500];
    }
}
