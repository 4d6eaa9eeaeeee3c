using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Library.Digests;
using MediaFleet.Testing;

namespace MediaFleet.Conversion.Tests.Broker;

/// <summary>The broker's public routes (DESIGN.md section 8) against a real broker in this process and real ffprobe.</summary>
public sealed partial class BrokerApiTests : IAsyncLifetime
{
    private readonly TempFolder _files = new("mfleet-inputs-");
    private TestBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await TestBroker.StartAsync();

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        _files.Dispose();
    }

    private HttpClient Http => _broker.Client.Http;

    private async Task<HttpResponseMessage> PostAsync(string query, string file, string? client = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/jobs?" + query) { Content = new StreamContent(File.OpenRead(file)) };
        if (client is not null)
        {
            request.Headers.Add(BrokerClient.ClientHeader, client);
        }
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return await Http.SendAsync(request);
    }

    private static async Task<string> SlugOf(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("type").GetString()!.Replace("urn:mediafleet:problem:", "", StringComparison.Ordinal);
    }

    private IEnumerable<string> KeptFiles() =>
        Directory.EnumerateFiles(Path.Combine(_broker.Data, "jobs"), "*", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(_broker.Data, "tmp"), "*", SearchOption.AllDirectories));

    [Fact]
    public async Task Submit_ATone_Is202WithAQueuedJobAndItsLocation()
    {
        var tone = await Clips.ToneAsync(_files.Path);

        using var response = await PostAsync("profile=opus&name=tone.wav", tone, client: "c1");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ConversionJson.Default.JobDto)!;
        Assert.Equal("/v1/jobs/" + job.Id, response.Headers.Location?.OriginalString);
        Assert.Equal(("c1", "opus", "tone.wav", JobStates.Queued, 0), (job.Client, job.Profile, job.Name, job.State, job.Attempts));
        Assert.Equal((await Sha256Digest.OfFileAsync(tone, default)).Hex, job.Sha256);
        Assert.Equal(new FileInfo(tone).Length, job.Size);
        Assert.Equal(job.Id, (await _broker.Client.GetJobAsync(job.Id, default)).Id);
    }

    [Fact]
    public async Task Resubmit_WithTheSameKey_OrTheSameInputAndProfile_ReturnsTheSameJob_ButAnotherClientGetsItsOwn()
    {
        var tone = await Clips.ToneAsync(_files.Path);
        using var first = await PostAsync("profile=opus&name=a.wav", tone, client: "c1", key: "k1");
        var job = JsonSerializer.Deserialize(await first.Content.ReadAsStringAsync(), ConversionJson.Default.JobDto)!;

        using var sameKey = await PostAsync("profile=opus&name=renamed.wav", tone, client: "c1", key: "k1");
        using var sameInput = await PostAsync("profile=opus&name=a.wav", tone, client: "c1");
        using var otherClient = await PostAsync("profile=opus&name=a.wav", tone, client: "c2");

        Assert.Equal(HttpStatusCode.OK, sameKey.StatusCode);
        Assert.Equal(job.Id, JsonSerializer.Deserialize(await sameKey.Content.ReadAsStringAsync(), ConversionJson.Default.JobDto)!.Id);
        Assert.Equal(HttpStatusCode.OK, sameInput.StatusCode);
        Assert.Equal(job.Id, JsonSerializer.Deserialize(await sameInput.Content.ReadAsStringAsync(), ConversionJson.Default.JobDto)!.Id);
        Assert.Equal(HttpStatusCode.Accepted, otherClient.StatusCode);
        Assert.Equal(2, (await _broker.Client.ListJobsAsync(null, null, default)).Count);
    }

    [Fact]
    public async Task Resubmit_WithTheKeyOfACancelledJob_IsANewJob()
    {
        var tone = await Clips.ToneAsync(_files.Path);
        using var first = await PostAsync("profile=opus&name=a.wav", tone, client: "c1", key: "k1");
        var cancelled = await _broker.Client.CancelAsync(JsonSerializer.Deserialize(await first.Content.ReadAsStringAsync(), ConversionJson.Default.JobDto)!.Id, default);

        using var again = await PostAsync("profile=opus&name=a.wav", tone, client: "c1", key: "k1");

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var fresh = JsonSerializer.Deserialize(await again.Content.ReadAsStringAsync(), ConversionJson.Default.JobDto)!;
        Assert.NotEqual(cancelled.Id, fresh.Id);
        Assert.Equal(JobStates.Queued, fresh.State);
    }

    [Fact]
    public async Task Resubmit_WithAnnouncedDigest_IsAnsweredBeforeTheBody()
    {
        var tone = await Clips.ToneAsync(_files.Path);
        var digest = (await Sha256Digest.OfFileAsync(tone, default)).ToHeaderValue();
        await using (var content = File.OpenRead(tone))
        {
            await _broker.Client.SubmitAsync(content, content.Length, "opus", "a.wav", null, "c1", null, digest, default);
        }

        // A body that is not the file: were it read, its digest would not match the announced one.
        var (again, created) = await _broker.Client.SubmitAsync(new MemoryStream(new byte[10]), 10, "opus", "a.wav", null, "c1", null, digest, default);

        Assert.False(created);
        Assert.Equal(JobStates.Queued, again.State);
    }

    [Fact]
    public async Task Submit_ATextFile_Is415_AndNothingIsKept()
    {
        var text = Path.Combine(_files.Path, "notes.txt");
        await File.WriteAllTextAsync(text, "not media at all\n");

        using var response = await PostAsync("profile=opus&name=notes.txt", text);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported-media", await SlugOf(response));
        Assert.Empty(KeptFiles());
        Assert.Empty(await _broker.Client.ListJobsAsync(null, null, default));
    }

    [Theory]
    [InlineData("profile=nope&name=a.wav", "invalid-request")]
    [InlineData("name=a.wav", "invalid-request")]
    [InlineData("profile=opus", "invalid-request")]
    [InlineData("profile=opus&name=..%2Fescape.wav", "invalid-request")]
    [InlineData("profile=opus&name=..", "invalid-request")]
    [InlineData("profile=opus&name=a%0Ab.wav", "invalid-request")]
    [InlineData("profile=opus&name=a%00b.wav", "invalid-request")]
    [InlineData("profile=opus&name=a.wav&ingest_as=..%2Fx.opus", "invalid-path")]
    [InlineData("profile=opus&name=a.wav&ingest_as=Music%2Fa.opus", "invalid-request")]
    public async Task Submit_WithABadQuery_Is400_AndNothingIsKept(string query, string slug)
    {
        var tone = await Clips.ToneAsync(_files.Path);

        using var response = await PostAsync(query, tone);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(slug, await SlugOf(response));
        Assert.Empty(KeptFiles());
    }

    [Fact]
    public async Task Tokens_WriteAndClusterRoutesNeedIt_401Without_403Wrong_ReadsAreOpen()
    {
        using var none = new HttpClient { BaseAddress = new Uri(_broker.Url + "/") };
        using var wrong = new HttpClient { BaseAddress = new Uri(_broker.Url + "/") };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-token");

        using var submitNone = await none.PostAsync("v1/jobs?profile=opus&name=a.wav", new ByteArrayContent([1]));
        using var submitWrong = await wrong.PostAsync("v1/jobs?profile=opus&name=a.wav", new ByteArrayContent([1]));
        using var leaseNone = await none.PostAsync("v1/leases", new StringContent("{}"));
        using var cancelWrong = await wrong.DeleteAsync("v1/jobs/x");
        using var list = await none.GetAsync("v1/jobs");

        Assert.Equal(HttpStatusCode.Unauthorized, submitNone.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, submitWrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, leaseNone.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, cancelWrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Fact]
    public async Task UnknownJob_Is404_ForEveryJobRoute()
    {
        using var get = await Http.GetAsync("v1/jobs/nosuchjob");
        using var output = await Http.GetAsync("v1/jobs/nosuchjob/output");
        using var cancel = await Http.DeleteAsync("v1/jobs/nosuchjob");

        foreach (var response in new[] { get, output, cancel })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("not-found", await SlugOf(response));
        }
    }

    [Fact]
    public async Task MalformedQueries_Are400()
    {
        using var state = await Http.GetAsync("v1/jobs?state=bogus");
        using var wait = await Http.PostAsync("v1/leases?wait=abc", new StringContent("{\"worker\":\"w\",\"max_input_bytes\":1}"));
        using var body = await Http.PostAsync("v1/leases", new StringContent("not json"));

        Assert.Equal(HttpStatusCode.BadRequest, state.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wait.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, body.StatusCode);
        Assert.Equal("invalid-request", await SlugOf(body));
    }

    [Fact]
    public async Task QueuedJob_HasNoOutput_409_CancelThenCancelAgain_409JobFinished()
    {
        var tone = await Clips.ToneAsync(_files.Path);
        using var submitted = await PostAsync("profile=opus&name=a.wav", tone);
        var job = JsonSerializer.Deserialize(await submitted.Content.ReadAsStringAsync(), ConversionJson.Default.JobDto)!;

        using var output = await Http.GetAsync($"v1/jobs/{job.Id}/output");
        var cancelled = await _broker.Client.CancelAsync(job.Id, default);
        using var again = await Http.DeleteAsync($"v1/jobs/{job.Id}");

        Assert.Equal(HttpStatusCode.Conflict, output.StatusCode);
        Assert.Equal("job-not-done", await SlugOf(output));
        Assert.Equal(JobStates.Cancelled, cancelled.State);
        Assert.NotNull(cancelled.FinishedAt);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("job-finished", await SlugOf(again));
    }

    [Fact]
    public async Task Profiles_ListsTheNineDefaults_WithMediaAndExtension()
    {
        var profiles = await _broker.Client.GetProfilesAsync(default);

        Assert.Equal(["aac", "flac", "h264-mkv", "h264-mp4", "h265-mkv", "h265-mp4", "mp3", "opus", "webp"], profiles.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains(profiles, p => p is { Name: "webp", Media: "image", Extension: "webp" });
        Assert.Contains(profiles, p => p is { Name: "h265-mkv", Media: "video", Extension: "mkv" });
        Assert.All(profiles, p => Assert.False(string.IsNullOrWhiteSpace(p.Description)));
    }

    [Fact]
    public async Task List_IsNewestFirst_AndFiltersByClientAndState()
    {
        var tone = await Clips.ToneAsync(_files.Path);
        var still = await Clips.StillAsync(_files.Path);
        using var a = await PostAsync("profile=opus&name=a.wav", tone, client: "c1");
        using var b = await PostAsync("profile=webp&name=b.png", still, client: "c2");
        var second = JsonSerializer.Deserialize(await b.Content.ReadAsStringAsync(), ConversionJson.Default.JobDto)!;
        await _broker.Client.CancelAsync(second.Id, default);

        var all = await _broker.Client.ListJobsAsync(null, null, default);
        var mine = await _broker.Client.ListJobsAsync("c1", null, default);
        var cancelled = await _broker.Client.ListJobsAsync(null, JobStates.Cancelled, default);

        Assert.Equal(["b.png", "a.wav"], all.Select(j => j.Name));
        Assert.Equal(["a.wav"], mine.Select(j => j.Name));
        Assert.Equal(["b.png"], cancelled.Select(j => j.Name));
    }

    [Fact]
    public async Task Page_IsOneSelfContainedPage_ThatPollsTheQueueRoute()
    {
        using var response = await Http.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("mf.poll('v1/queue'", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("innerHTML", html, StringComparison.Ordinal);
        Assert.StartsWith("default-src 'none'; script-src 'sha256-", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Queue_CountsEveryState_ListsTheRunningAndTheNewestJobs_UpToTheLimit()
    {
        var tone = await Clips.ToneAsync(_files.Path);
        var still = await Clips.StillAsync(_files.Path);
        using var a = await PostAsync("profile=opus&name=a.wav", tone, client: "c1");
        using var b = await PostAsync("profile=webp&name=b.png", still, client: "c2");
        using var c = await PostAsync("profile=mp3&name=c.wav", tone, client: "c3");
        var second = JsonSerializer.Deserialize(await b.Content.ReadAsStringAsync(), ConversionJson.Default.JobDto)!;
        await _broker.Client.CancelAsync(second.Id, default);

        var queue = await _broker.Client.GetQueueAsync(2, default);

        Assert.Equal(JobStates.All, queue.Counts.Keys);
        Assert.Equal([2L, 0L, 0L, 0L, 1L], queue.Counts.Values);
        Assert.Equal(["c.wav", "b.png"], queue.Latest.Select(j => j.Name));
        Assert.Empty(queue.Running);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("many")]
    public async Task Queue_ALimitOutOfRange_Is400(string limit)
    {
        using var response = await Http.GetAsync("v1/queue?limit=" + limit);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid-request", await SlugOf(response));
    }

    [Fact]
    public async Task Metrics_CountJobsByState()
    {
        var tone = await Clips.ToneAsync(_files.Path);
        using var submitted = await PostAsync("profile=opus&name=a.wav", tone);
        Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, $"{(int)submitted.StatusCode} {await submitted.Content.ReadAsStringAsync()}");

        var metrics = await Http.GetStringAsync("metrics");

        Assert.Contains("mfleet_broker_jobs", metrics, StringComparison.Ordinal);
        // The job is queued, or already leased: a worker of an earlier test that outlived its broker may poll this port.
        Assert.True(QueueOfOne().IsMatch(metrics) || LeasesOfOne().IsMatch(metrics), metrics);
    }

    [GeneratedRegex("mfleet_broker_queue[^\\n]* 1(\\n| )")]
    private static partial Regex QueueOfOne();

    [GeneratedRegex("mfleet_broker_leases[^\\n]* 1(\\n| )")]
    private static partial Regex LeasesOfOne();
}
