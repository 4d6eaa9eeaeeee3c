using System.Net;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Library.Digests;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests.Conversion;

/// <summary>
/// Broker and workers as real processes, killed and stopped mid-encode. A "slow" profile encodes at real time
/// (ffmpeg's arealtime filter), so an encode lasts as long as its input whatever the machine's speed.
/// </summary>
[Collection(ConversionCollection.Name)]
public sealed class WorkerProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly TempFolder _folder = new("mfleet-conversion-");
    private readonly List<NodeProcess> _processes = [];
    private readonly List<int> _strays = [];
    private NodeProcess _broker = null!;
    private BrokerClient _client = null!;

    public static IReadOnlyDictionary<string, string> SlowProfile { get; } = new Dictionary<string, string>
    {
        ["MFLEET_Broker__LeaseSeconds"] = "3",
        ["MFLEET_Broker__ReserveBytes"] = "0",
        ["MFLEET_Broker__Profiles__slow__media"] = "audio",
        ["MFLEET_Broker__Profiles__slow__extension"] = "opus",
        ["MFLEET_Broker__Profiles__slow__args"] = "-map 0:a:0 -af arealtime -c:a libopus",
        ["MFLEET_Broker__Profiles__slow__description"] = "Opus at real time (tests)",
    };

    private static readonly Dictionary<string, string> WorkerSettings = new()
    {
        ["MFLEET_Worker__MarginBytes"] = "0",
        ["MFLEET_Worker__LeaseWaitSeconds"] = "1",
    };

    public async Task InitializeAsync()
    {
        _broker = await StartAsync(NodeProcess.StartBrokerAsync(_folder.Combine("broker"), environment: SlowProfile));
        _client = new BrokerClient(NodeClient.CreateHttp(new Uri(_broker.Url), TestNode.Token));
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        foreach (var pid in _strays.Where(ProcFs.IsAlive))
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
        }
        _client.Http.Dispose();
        _folder.Dispose();
    }

    private async Task<NodeProcess> StartAsync(Task<NodeProcess> starting)
    {
        var process = await starting;
        _processes.Add(process);
        return process;
    }

    private Task<NodeProcess> StartWorkerAsync(string scratch, string id) =>
        StartAsync(NodeProcess.StartWorkerAsync(_broker.Url, scratch, ["--id", id], environment: WorkerSettings));

    private async Task<JobDto> SubmitAsync(string file, string profile = "slow")
    {
        await using var content = File.OpenRead(file);
        return (await _client.SubmitAsync(content, content.Length, profile, Path.GetFileName(file), null, "tests", null, null, default)).Job;
    }

    private async Task<JobDto> WaitAsync(string id, Func<JobDto, bool> wanted, string what)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        while (true)
        {
            var job = await _client.GetJobAsync(id, default);
            if (wanted(job))
            {
                return job;
            }
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"job {id} never became {what}: {job.State}, attempts {job.Attempts}, worker {job.Worker}, error {job.Error}");
            }
            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>Waits until the worker runs its ffmpeg and the broker has heard progress from it; returns ffmpeg's pid.</summary>
    private async Task<int> RunningFfmpegAsync(NodeProcess worker, string jobId)
    {
        // setsid starts first and becomes ffmpeg (exec): wait for the name to change.
        var ffmpeg = 0;
        await ProcFs.UntilAsync(() => (ffmpeg = ProcFs.Children(worker.Pid).FirstOrDefault(p => ProcFs.Command(p) == "ffmpeg")) != 0, "the worker's ffmpeg", Deadline);
        _strays.Add(ffmpeg);
        await WaitAsync(jobId, j => j.State == JobStates.Running && j.Progress > 0, "running with progress");
        return ffmpeg;
    }

    private static IEnumerable<string> JobFolders(string scratch) => Directory.Exists(scratch) ? Directory.EnumerateDirectories(scratch) : [];

    [Fact]
    public async Task AWorkerKilledMidEncode_ItsJobReturnsAfterTheLease_FinishesOnTheOtherWorker_WithOneAttempt()
    {
        // Long enough that the dead worker's ffmpeg would still run when the second worker starts, had nothing ended it.
        var tone = await Clips.ToneAsync(_folder.Path, 12);
        var scratch = _folder.Combine("scratch");
        var first = await StartWorkerAsync(scratch, "first");
        var job = await SubmitAsync(tone);
        var ffmpeg = await RunningFfmpegAsync(first, job.Id);

        await first.KillAloneAsync();
        using (var early = await _client.Http.GetAsync(BrokerClient.OutputUri(job.Id)))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        }
        var queued = await WaitAsync(job.Id, j => j.State == JobStates.Queued, "queued again");
        // The second worker shares the scratch folder: it ends the dead worker's ffmpeg and removes its folder.
        Assert.True(ProcFs.IsAlive(ffmpeg), "the dead worker's ffmpeg runs on (it leads its own session)");
        await StartWorkerAsync(scratch, "second");
        await ProcFs.AllGoneAsync([ffmpeg], TimeSpan.FromSeconds(3));
        var done = await WaitAsync(job.Id, j => j.State is JobStates.Succeeded or JobStates.Failed, "finished");

        Assert.Equal(1, queued.Attempts);
        Assert.Contains("expired", queued.Error, StringComparison.Ordinal);
        Assert.Equal((JobStates.Succeeded, 1, "second"), (done.State, done.Attempts, done.Worker));
        Assert.InRange(done.Output!.DurationSeconds!.Value, 11, 13);
        var output = await _client.Http.GetByteArrayAsync(BrokerClient.OutputUri(job.Id));
        Assert.Equal(done.Output.Sha256, Sha256Digest.FromBytes(System.Security.Cryptography.SHA256.HashData(output)).Hex);
        await ProcFs.UntilAsync(() => !JobFolders(scratch).Any(), "an empty scratch folder", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task SigtermToAWorkerMidEncode_StopsFfmpegWithin5s_AndHandsTheJobBackAtOnce_WithoutAnAttempt()
    {
        var tone = await Clips.ToneAsync(_folder.Path, 20);
        var scratch = _folder.Combine("scratch");
        var worker = await StartWorkerAsync(scratch, "stopping");
        var job = await SubmitAsync(tone);
        var ffmpeg = await RunningFfmpegAsync(worker, job.Id);

        var stopped = System.Diagnostics.Stopwatch.StartNew();
        var exitCode = await worker.TerminateAsync(TimeSpan.FromSeconds(20));
        // Within 5 s of the SIGTERM (the worker may even have taken longer than that to exit: then it must be gone now).
        await ProcFs.AllGoneAsync([ffmpeg], TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(1).Ticks, (TimeSpan.FromSeconds(5) - stopped.Elapsed).Ticks)));
        var after = await _client.GetJobAsync(job.Id, default);

        Assert.Equal(0, exitCode);
        Assert.Equal((JobStates.Queued, 0, (string?)null), (after.State, after.Attempts, after.Worker));
        Assert.Empty(JobFolders(scratch));
    }

    [Fact]
    public async Task CancelOfARunningJob_StopsItsFfmpeg_AndDeletesThePartialOutput()
    {
        var tone = await Clips.ToneAsync(_folder.Path, 20);
        var scratch = _folder.Combine("scratch");
        var worker = await StartWorkerAsync(scratch, "cancelled");
        var job = await SubmitAsync(tone);
        var ffmpeg = await RunningFfmpegAsync(worker, job.Id);
        Assert.Contains(JobFolders(scratch).SelectMany(Directory.EnumerateFiles), f => Path.GetFileName(f).StartsWith("output", StringComparison.Ordinal));

        var cancelled = await _client.CancelAsync(job.Id, default);
        await ProcFs.AllGoneAsync([ffmpeg], TimeSpan.FromSeconds(5));
        await ProcFs.UntilAsync(() => !JobFolders(scratch).Any(), "the job's scratch folder to go", TimeSpan.FromSeconds(5));

        Assert.Equal(JobStates.Cancelled, cancelled.State);
        Assert.Equal(JobStates.Cancelled, (await _client.GetJobAsync(job.Id, default)).State);
        Assert.False(worker.HasExited);
    }

    [Fact]
    public async Task AWorkerWhoseScratchIsShort_TakesNoLeaseForALargeInput_ButRunsOneThatFits()
    {
        using var scratch = new TmpfsMount(8L << 20);
        var large = await Clips.ToneAsync(_folder.Path, 80, "large.wav");
        var small = await Clips.ToneAsync(_folder.Path, 1, "small.wav");
        Assert.True(new FileInfo(large).Length > 6L << 20);
        var worker = await StartAsync(NodeProcess.StartWorkerAsync(_broker.Url, scratch.Path, ["--id", "short"],
            environment: new Dictionary<string, string>(WorkerSettings) { ["MFLEET_Worker__MarginBytes"] = (3L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture) }));

        var largeJob = await SubmitAsync(large, "opus");
        var smallJob = await SubmitAsync(small, "opus");
        var smallDone = await WaitAsync(smallJob.Id, j => j.State == JobStates.Succeeded, "succeeded");

        var largeNow = await _client.GetJobAsync(largeJob.Id, default);
        Assert.Equal("short", smallDone.Worker);
        Assert.Equal((JobStates.Queued, 0), (largeNow.State, largeNow.Attempts));
        Assert.False(worker.HasExited);
    }
}

/// <summary>Conversion end-to-end tests with broker and worker processes: one at a time (each keeps a core busy at real time).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConversionCollection
{
    public const string Name = "conversion processes";
}
