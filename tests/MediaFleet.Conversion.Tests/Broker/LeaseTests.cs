using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Library.Digests;
using MediaFleet.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MediaFleet.Conversion.Tests.Broker;

/// <summary>
/// The worker protocol driven by hand against a real broker: leases with tokens, renewal, hand-back, failed attempts,
/// expiry, and the broker's own check of an output (digest, ffprobe, duration).
/// </summary>
public sealed class LeaseTests : IAsyncLifetime
{
    private readonly TempFolder _files = new("mfleet-inputs-");
    private TestBroker? _broker;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
        _files.Dispose();
    }

    private async Task<(TestBroker Broker, JobDto Job, string Input)> SubmitToneAsync(Dictionary<string, string?>? settings = null, double seconds = 2)
    {
        _broker = await TestBroker.StartAsync(settings: settings);
        var tone = await Clips.ToneAsync(_files.Path, seconds);
        await using var content = File.OpenRead(tone);
        var (job, _) = await _broker.Client.SubmitAsync(content, content.Length, "opus", "tone.wav", null, "c1", null, null, default);
        return (_broker, job, tone);
    }

    private static async Task<string> EncodeAsync(string input, string output, params string[] extra)
    {
        var start = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", "-i", input, .. extra, "-c:a", "libopus", output])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    private static async Task<JobDto> UploadAsync(BrokerClient client, LeaseDto lease, string file, string? digestHeader = null)
    {
        await using var content = File.OpenRead(file);
        return await client.UploadOutputAsync(lease, content, content.Length, digestHeader ?? (await Sha256Digest.OfFileAsync(file, default)).ToHeaderValue(), default);
    }

    [Fact]
    public async Task Lease_GivesTheJobWithItsTokenAndProfile_AndTheInputServesWithItsDigest()
    {
        var (broker, job, tone) = await SubmitToneAsync();

        var lease = await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default);
        using var request = new HttpRequestMessage(HttpMethod.Get, BrokerClient.InputUri(job.Id));
        request.Headers.Add(BrokerClient.LeaseHeader, lease!.Token);
        using var input = await broker.Client.Http.SendAsync(request);

        Assert.Equal((job.Id, "opus", "audio", "opus"), (lease.JobId, lease.Profile, lease.Media, lease.Extension));
        Assert.Contains("libopus", lease.Args);
        Assert.Equal(job.Sha256, lease.InputSha256);
        Assert.InRange(lease.InputDurationSeconds!.Value, 1.9, 2.1);
        Assert.Equal(HttpStatusCode.OK, input.StatusCode);
        Assert.Equal(await File.ReadAllBytesAsync(tone), await input.Content.ReadAsByteArrayAsync());
        Assert.Equal(Sha256Digest.ParseHex(job.Sha256).ToHeaderValue(), string.Join(',', input.Headers.GetValues("Repr-Digest")));
        var running = await broker.Client.GetJobAsync(job.Id, default);
        Assert.Equal((JobStates.Running, "w1"), (running.State, running.Worker));
        Assert.Null(await broker.Client.LeaseAsync(new LeaseRequest("w2", long.MaxValue), 0, default));
    }

    [Fact]
    public async Task Lease_SkipsInputsLargerThanTheWorkerCanTake()
    {
        var (broker, job, _) = await SubmitToneAsync();

        Assert.Null(await broker.Client.LeaseAsync(new LeaseRequest("small", job.Size - 1), 0, default));
        Assert.NotNull(await broker.Client.LeaseAsync(new LeaseRequest("large", job.Size), 0, default));
    }

    [Fact]
    public async Task EveryCallWithAWrongToken_Is409LeaseLost()
    {
        var (broker, job, tone) = await SubmitToneAsync();
        var lease = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))! with { Token = "not-the-token" };

        var calls = new Func<Task>[]
        {
            () => broker.Client.ReportProgressAsync(lease, new ProgressReport(0.5, 1), default),
            () => broker.Client.ReportFailureAsync(lease, new FailureReport("x", null), default),
            () => broker.Client.ReleaseAsync(lease, default),
            () => UploadAsync(broker.Client, lease, tone),
        };
        foreach (var call in calls)
        {
            var e = await Assert.ThrowsAsync<MediaFleetException>(call);
            Assert.Equal((HttpStatusCode.Conflict, "lease-lost"), (e.Status, e.Slug));
        }
        Assert.Equal(JobStates.Running, (await broker.Client.GetJobAsync(job.Id, default)).State);
    }

    [Fact]
    public async Task Progress_RenewsTheLease_AndShowsInTheJob()
    {
        var (broker, job, _) = await SubmitToneAsync();
        var lease = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;
        await Task.Delay(50);

        var renewed = await broker.Client.ReportProgressAsync(lease, new ProgressReport(0.25, 12), default);

        Assert.True(renewed.ExpiresAt > lease.ExpiresAt);
        var seen = await broker.Client.GetJobAsync(job.Id, default);
        Assert.Equal((0.25, 12.0), (seen.Progress, seen.EtaSeconds));
    }

    [Fact]
    public async Task Release_QueuesTheJobAgain_WithoutCountingAnAttempt()
    {
        var (broker, job, _) = await SubmitToneAsync();
        var lease = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;

        await broker.Client.ReleaseAsync(lease, default);

        var again = await broker.Client.GetJobAsync(job.Id, default);
        Assert.Equal((JobStates.Queued, 0, (string?)null), (again.State, again.Attempts, again.Worker));
        Assert.NotNull(await broker.Client.LeaseAsync(new LeaseRequest("w2", long.MaxValue), 0, default));
    }

    [Fact]
    public async Task FailedAttempts_QueueAgain_UntilMaxAttempts_ThenFailWithErrorAndStderrTail()
    {
        var (broker, job, _) = await SubmitToneAsync(new() { ["Broker:MaxAttempts"] = "2" });

        var first = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;
        var afterFirst = await broker.Client.ReportFailureAsync(first, new FailureReport("ffmpeg exited with 1: boom", "line 1\nboom"), default);
        var second = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;
        var afterSecond = await broker.Client.ReportFailureAsync(second, new FailureReport("ffmpeg exited with 1: boom again", "boom again"), default);

        Assert.Equal((JobStates.Queued, 1), (afterFirst.State, afterFirst.Attempts));
        Assert.Equal((JobStates.Failed, 2), (afterSecond.State, afterSecond.Attempts));
        Assert.Equal("ffmpeg exited with 1: boom again", afterSecond.Error);
        Assert.Equal("boom again", afterSecond.StderrTail);
        Assert.NotNull(afterSecond.FinishedAt);
        Assert.Null(await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default));
    }

    [Fact]
    public async Task ALeaseNotRenewed_Expires_AndTheJobIsQueuedAgainWithOneAttempt()
    {
        var (broker, job, _) = await SubmitToneAsync(new() { ["Broker:LeaseSeconds"] = "2" });
        var lease = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;

        var queued = await broker.WaitForStateAsync(job.Id, JobStates.Queued, TimeSpan.FromSeconds(15));

        Assert.Equal(1, queued.Attempts);
        Assert.Contains("expired", queued.Error, StringComparison.Ordinal);
        var e = await Assert.ThrowsAsync<MediaFleetException>(() => broker.Client.ReportProgressAsync(lease, new ProgressReport(0.5, null), default));
        Assert.Equal("lease-lost", e.Slug);
    }

    [Fact]
    public async Task ABrokerDownLongerThanALease_GivesRunningJobsAWholeLeaseAfterItsRestart()
    {
        var settings = new Dictionary<string, string?> { ["Broker:LeaseSeconds"] = "6" };
        var (broker, job, _) = await SubmitToneAsync(settings);
        var lease = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;
        var data = broker.Data;
        using var keep = new TempFolder("mfleet-broker-keep-");
        CopyFolder(data, keep.Path);
        await broker.DisposeAsync();
        _broker = null;
        await Task.Delay(TimeSpan.FromSeconds(7));

        _broker = await TestBroker.StartAsync(keep.Path, settings);
        // The lease expiry runs every second: two passes have run before the worker's next report.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var renewed = await _broker.Client.ReportProgressAsync(lease, new ProgressReport(0.5, 1), default);

        Assert.Equal((JobStates.Running, 0), ((await _broker.Client.GetJobAsync(job.Id, default)).State, (await _broker.Client.GetJobAsync(job.Id, default)).Attempts));
        Assert.True(renewed.ExpiresAt > lease.ExpiresAt);
    }

    [Fact]
    public async Task AnOutputOfTheRightLength_Succeeds_AndIsServedWithItsDigestAndRanges()
    {
        var (broker, job, tone) = await SubmitToneAsync();
        var lease = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;
        var output = await EncodeAsync(tone, Path.Combine(_files.Path, "out.opus"));

        var done = await UploadAsync(broker.Client, lease, output);
        using var whole = await broker.Client.Http.GetAsync(BrokerClient.OutputUri(job.Id));
        using var range = new HttpRequestMessage(HttpMethod.Get, BrokerClient.OutputUri(job.Id));
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(10, 19);
        using var part = await broker.Client.Http.SendAsync(range);

        var digest = await Sha256Digest.OfFileAsync(output, default);
        Assert.Equal(JobStates.Succeeded, done.State);
        Assert.Equal((digest.Hex, new FileInfo(output).Length), (done.Output!.Sha256, done.Output.Size));
        Assert.InRange(done.Output.DurationSeconds!.Value, 1.9, 2.1);
        Assert.Equal(1.0, done.Progress);
        Assert.Equal(await File.ReadAllBytesAsync(output), await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal("\"" + digest.Hex + "\"", whole.Headers.ETag?.Tag);
        Assert.Equal(digest.ToHeaderValue(), string.Join(',', whole.Headers.GetValues("Repr-Digest")));
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal((await File.ReadAllBytesAsync(output))[10..20], await part.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task KeepDays_RemovesAFetchedJobsFiles_ButNotAnUnfetchedOnes_AndTheJobStaysListed()
    {
        var (broker, job, tone) = await SubmitToneAsync(new() { ["Broker:KeepDays"] = "0" });
        var lease = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;
        await UploadAsync(broker.Client, lease, await EncodeAsync(tone, Path.Combine(_files.Path, "out.opus")));
        var cleanup = broker.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<MediaFleet.Conversion.Broker.FileCleanup>().Single();

        var beforeFetch = cleanup.RemoveExpired();
        await broker.Client.Http.GetByteArrayAsync(BrokerClient.OutputUri(job.Id));
        // The fetch is recorded once the answer completed, a moment after the client has the last byte.
        var afterFetch = 0;
        await ProcFs.UntilAsync(() => (afterFetch = cleanup.RemoveExpired()) > 0, "the fetched job's files to go", TimeSpan.FromSeconds(10));

        Assert.Equal((0, 1), (beforeFetch, afterFetch));
        Assert.False(Directory.Exists(Path.Combine(broker.Data, "jobs", job.Id)));
        using var output = await broker.Client.Http.GetAsync(BrokerClient.OutputUri(job.Id));
        Assert.Equal(HttpStatusCode.NotFound, output.StatusCode);
        Assert.Equal(JobStates.Succeeded, (await broker.Client.GetJobAsync(job.Id, default)).State);
    }

    [Fact]
    public async Task AnOutputCutShort_NeverSucceeds_TheErrorNamesBothDurations_AndTheInputIsUntouched()
    {
        var (broker, job, tone) = await SubmitToneAsync(new() { ["Broker:MaxAttempts"] = "1" }, seconds: 5);
        var lease = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;
        var shortOutput = await EncodeAsync(tone, Path.Combine(_files.Path, "short.opus"), "-t", "1");

        var failed = await UploadAsync(broker.Client, lease, shortOutput);

        Assert.Equal(JobStates.Failed, failed.State);
        Assert.Null(failed.Output);
        Assert.Matches(@"\b1(\.\d+)?\b.*\b5(\.\d+)?\b|\b5(\.\d+)?\b.*\b1(\.\d+)?\b", failed.Error);
        using var output = await broker.Client.Http.GetAsync(BrokerClient.OutputUri(job.Id));
        Assert.Equal(HttpStatusCode.Conflict, output.StatusCode);
        Assert.Equal(job.Sha256, (await Sha256Digest.OfFileAsync(Path.Combine(broker.Data, "jobs", job.Id, "input"), default)).Hex);
        Assert.False(Directory.EnumerateFiles(Path.Combine(broker.Data, "jobs", job.Id), "output*").Any());
    }

    [Fact]
    public async Task AnOutputWhoseBytesDoNotMatchItsDigest_CountsAsAFailedAttempt_AndIsNotKept()
    {
        var (broker, job, tone) = await SubmitToneAsync();
        var lease = (await broker.Client.LeaseAsync(new LeaseRequest("w1", long.MaxValue), 0, default))!;
        var output = await EncodeAsync(tone, Path.Combine(_files.Path, "out.opus"));

        var answered = await UploadAsync(broker.Client, lease, output, Sha256Digest.FromBytes(new byte[32]).ToHeaderValue());

        Assert.Equal((JobStates.Queued, 1), (answered.State, answered.Attempts));
        Assert.Contains("damaged", answered.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(broker.Data, "tmp")));
        Assert.False(Directory.EnumerateFiles(Path.Combine(broker.Data, "jobs", job.Id), "output*").Any());
    }

    [Fact]
    public async Task ABrokerDiskShortOfTheReserve_Answers507BeforeTheBody_AndKeepsNothing()
    {
        _broker = await TestBroker.StartAsync(settings: new Dictionary<string, string?> { ["Broker:ReserveBytes"] = (1L << 60).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var tone = await Clips.ToneAsync(_files.Path);
        await using var content = File.OpenRead(tone);

        var e = await Assert.ThrowsAsync<MediaFleetException>(() => _broker.Client.SubmitAsync(content, content.Length, "opus", "a.wav", null, "c1", null, null, default));

        Assert.Equal((HttpStatusCode.InsufficientStorage, "insufficient-storage"), (e.Status, e.Slug));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_broker.Data, "jobs")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_broker.Data, "tmp")));
    }

    [Fact]
    public async Task Restart_DeletesHalfUploadedFilesAndFoldersWithoutAJob_AndKeepsEveryJob()
    {
        var (broker, job, _) = await SubmitToneAsync();
        var data = broker.Data;
        using var keep = new TempFolder("mfleet-broker-keep-");
        CopyFolder(data, keep.Path);
        await broker.DisposeAsync();
        _broker = null;
        await File.WriteAllTextAsync(Path.Combine(keep.Path, "tmp", "half-upload"), "partial");
        Directory.CreateDirectory(Path.Combine(keep.Path, "jobs", "orphan"));
        await File.WriteAllTextAsync(Path.Combine(keep.Path, "jobs", "orphan", "input"), "no job");

        _broker = await TestBroker.StartAsync(keep.Path);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(keep.Path, "tmp")));
        Assert.False(Directory.Exists(Path.Combine(keep.Path, "jobs", "orphan")));
        Assert.Equal(JobStates.Queued, (await _broker.Client.GetJobAsync(job.Id, default)).State);
        Assert.True(File.Exists(Path.Combine(keep.Path, "jobs", job.Id, "input")));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
        Directory.CreateDirectory(Path.Combine(to, "tmp"));
        Directory.CreateDirectory(Path.Combine(to, "jobs"));
    }
}
