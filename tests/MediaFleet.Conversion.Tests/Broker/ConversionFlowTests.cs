using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Library.Digests;
using MediaFleet.Testing;

namespace MediaFleet.Conversion.Tests.Broker;

/// <summary>Whole conversions through a real broker and a real worker in this process, with real ffmpeg.</summary>
public sealed class ConversionFlowTests : IAsyncLifetime
{
    private readonly TempFolder _files = new("mfleet-inputs-");
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
        _files.Dispose();
    }

    private async Task<T> OwnAsync<T>(Task<T> starting) where T : IAsyncDisposable
    {
        var started = await starting;
        _owned.Add(started);
        return started;
    }

    [Fact]
    public async Task AJobWithIngestAs_SucceedsOnAWorker_LandsInTheLibrary_AndReplicatesToAFollower()
    {
        var primary = await OwnAsync(TestNode.StartAsync());
        var follower = await OwnAsync(TestNode.StartFollowerAsync(primary.Url));
        var broker = await OwnAsync(TestBroker.StartAsync(settings: new Dictionary<string, string?> { ["Broker:Node"] = primary.Url }));
        var scratch = await broker.StartWorkerAsync();
        var tone = await Clips.ToneAsync(_files.Path);
        JobDto submitted;
        await using (var content = File.OpenRead(tone))
        {
            (submitted, _) = await broker.Client.SubmitAsync(content, content.Length, "mp3", "tone.wav", "Music/Converted/tone.mp3", "c1", null, null, default);
        }
        Assert.Equal(("Music/Converted/tone.mp3", "pending"), (submitted.Ingest!.Path, submitted.Ingest.State));

        var done = await broker.WaitForStateAsync(submitted.Id, JobStates.Succeeded);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((done = await broker.Client.GetJobAsync(submitted.Id, default)).Ingest!.State == "pending")
        {
            await Task.Delay(50, timeout.Token);
        }

        Assert.Equal("done", done.Ingest.State);
        Assert.NotNull(done.Ingest.Version);
        var output = await broker.Client.Http.GetByteArrayAsync(BrokerClient.OutputUri(done.Id));
        Assert.Equal(done.Output!.Sha256, Sha256Digest.FromBytes(System.Security.Cryptography.SHA256.HashData(output)).Hex);
        Assert.Equal(output, await primary.Http.GetByteArrayAsync("files/Music/Converted/tone.mp3"));
        while ((await follower.Client.GetStatusAsync(default)).Version < done.Ingest.Version)
        {
            await Task.Delay(50, timeout.Token);
        }
        Assert.Equal(output, await File.ReadAllBytesAsync(Path.Combine(follower.Library, "Music", "Converted", "tone.mp3"), default));
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
    }

    [Fact]
    public async Task AVideoAndAStill_ConvertOnAWorker_WithProgressUpToOne_AndTheExpectedCodecs()
    {
        var broker = await OwnAsync(TestBroker.StartAsync());
        await broker.StartWorkerAsync();
        var video = await Clips.VideoAsync(_files.Path, 3);
        var still = await Clips.StillAsync(_files.Path);
        var jobs = new List<(string Id, string Codec)>();
        foreach (var (file, profile, codec) in new[] { (video, "h265-mkv", "hevc"), (still, "webp", "webp") })
        {
            await using var content = File.OpenRead(file);
            jobs.Add(((await broker.Client.SubmitAsync(content, content.Length, profile, Path.GetFileName(file), null, "c1", null, null, default)).Job.Id, codec));
        }

        foreach (var (id, codec) in jobs)
        {
            var done = await broker.WaitForStateAsync(id, JobStates.Succeeded, TimeSpan.FromSeconds(120));
            Assert.Equal((1.0, 0), (done.Progress, done.Attempts));
            var output = Path.Combine(_files.Path, id);
            await File.WriteAllBytesAsync(output, await broker.Client.Http.GetByteArrayAsync(BrokerClient.OutputUri(id)));
            var probe = await Ffmpeg.Ffprobe.ProbeAsync(output, default);
            Assert.Contains(probe.Streams, s => s.CodecName == codec);
        }
    }

    [Fact]
    public async Task AProfileThatCutsTheOutputShort_NeverSucceeds_FailsAfterMaxAttempts_NamingBothDurations_InputUntouched()
    {
        var broker = await OwnAsync(TestBroker.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Broker:Profiles:cut:media"] = "audio",
            ["Broker:Profiles:cut:extension"] = "opus",
            ["Broker:Profiles:cut:args"] = "-map 0:a:0 -t 1 -c:a libopus",
            ["Broker:Profiles:cut:description"] = "cuts after a second (tests)",
        }));
        var scratch = await broker.StartWorkerAsync();
        var tone = await Clips.ToneAsync(_files.Path, 5);
        var before = await File.ReadAllBytesAsync(tone);
        JobDto submitted;
        await using (var content = File.OpenRead(tone))
        {
            (submitted, _) = await broker.Client.SubmitAsync(content, content.Length, "cut", "tone.wav", null, "c1", null, null, default);
        }

        var failed = await broker.WaitForStateAsync(submitted.Id, JobStates.Failed, TimeSpan.FromSeconds(90));

        Assert.Equal(3, failed.Attempts);
        Assert.Null(failed.Output);
        Assert.Matches(@"1\.\d\d s.*5\.00 s", failed.Error);
        using var output = await broker.Client.Http.GetAsync(BrokerClient.OutputUri(submitted.Id));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, output.StatusCode);
        Assert.Equal(before, await File.ReadAllBytesAsync(tone));
        Assert.Equal(submitted.Sha256, (await Sha256Digest.OfFileAsync(Path.Combine(broker.Data, "jobs", submitted.Id, "input"), default)).Hex);
        // The worker reports the failure, then clears its job folder: the broker can say "failed" a moment before.
        await ProcFs.UntilAsync(() => !Directory.EnumerateFileSystemEntries(scratch).Any(), "the worker's scratch folder emptied", TimeSpan.FromSeconds(10));
    }
}
