using System.Text.Json;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Conversion.Client;
using MediaFleet.Library.Digests;
using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

/// <summary>
/// The client store is named by the process-wide <c>MFLEET_CLIENT_DB</c>: these tests set it each to its own temp
/// file, so they run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClientStoreCollection
{
    public const string Name = "client store";
}

[Collection(ClientStoreCollection.Name)]
public sealed class ConvertCommandTests : IDisposable
{
    private readonly TempFolder _home = new("mfleet-client-");
    private readonly string? _before = Environment.GetEnvironmentVariable(ClientStore.FileVariable);

    public ConvertCommandTests() => Environment.SetEnvironmentVariable(ClientStore.FileVariable, _home.Combine("state", "client.db"));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(ClientStore.FileVariable, _before);
        _home.Dispose();
    }

    private static string[] On(TestBroker broker, params string[] args) => [.. args, "--broker", broker.Url, "--token", TestNode.Token];

    private static Task<CliRun> ConvertAsync(TestBroker broker, params string[] args) => CliRun.RunAsync(On(broker, ["convert", .. args]));

    [Fact]
    public async Task Submit_PrintsAnId_AndTheSameFileAgainGivesTheSameJob()
    {
        await using var broker = await TestBroker.StartAsync();
        var tone = await Clips.ToneAsync(_home.Path, seconds: 1, name: "tone.wav");

        var first = await ConvertAsync(broker, "submit", tone, "--profile", "opus");
        var second = await ConvertAsync(broker, "submit", tone, "--profile", "opus");

        Assert.Equal(0, first.ExitCode);
        var id = Assert.Single(first.Lines);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal([id], second.Lines);
        var job = Assert.Single(await broker.Client.ListJobsAsync(null, null, CancellationToken.None));
        Assert.Equal(id, job.Id);
        Assert.Equal("tone.wav", job.Name);
        // The client id is made once and kept: both submissions carried the same one.
        using var store = ClientStore.Open(ClientStore.DefaultFile(), TimeProvider.System);
        Assert.Equal(store.ClientId, job.Client);
        Assert.Matches("^[a-z0-9]{16}$", store.ClientId);
    }

    [Fact]
    public async Task OfflineClient_StatusShowsTheLastKnownState_AndFetchWorksOnceTheBrokerIsBack()
    {
        using var data = new TempFolder("mfleet-broker-");
        var tone = await Clips.ToneAsync(_home.Path, seconds: 1, name: "tone.wav");
        string url, id;
        await using (var broker = await TestBroker.StartAsync(data.Path))
        {
            url = broker.Url;
            await broker.StartWorkerAsync();
            var submit = await ConvertAsync(broker, "submit", tone, "--profile", "opus");
            Assert.Equal(0, submit.ExitCode);
            id = Assert.Single(submit.Lines);
            await broker.WaitForStateAsync(id, JobStates.Succeeded);

            var online = await ConvertAsync(broker, "status");
            Assert.Equal(0, online.ExitCode);
            Assert.Equal("", online.Error);
            Assert.Contains(online.Lines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal));
        }

        var offline = await CliRun.RunAsync("convert", "status", "--broker", url, "--token", TestNode.Token);
        Assert.Equal(0, offline.ExitCode);
        Assert.Contains("has not answered since", offline.SingleErrorLine(), StringComparison.Ordinal);
        Assert.Contains(offline.Lines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal));
        var json = await CliRun.RunAsync("convert", "status", "--json", "--broker", url, "--token", TestNode.Token);
        Assert.Equal(0, json.ExitCode);
        var known = JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Single();
        Assert.Equal(id, known.GetProperty("id").GetString());
        Assert.Equal("succeeded", known.GetProperty("job").GetProperty("state").GetString());
        Assert.Equal(tone, known.GetProperty("source").GetString());

        // The same data folder and address: the broker that comes back is the one the client remembers.
        await using var again = await TestBroker.StartAsync(data.Path, new Dictionary<string, string?> { ["Broker:Listen"] = url });
        using var output = new TempFolder();
        var fetch = await ConvertAsync(again, "fetch", "--out", output.Path);
        Assert.Equal(0, fetch.ExitCode);
        Assert.Contains($"fetched {id} (tone.wav) to {output.Combine("tone.opus")}", fetch.Out, StringComparison.Ordinal);
        var job = await again.Client.GetJobAsync(id, CancellationToken.None);
        Assert.Equal(job.Output!.Sha256, (await Sha256Digest.OfFileAsync(output.Combine("tone.opus"), CancellationToken.None)).Hex);
        Assert.Equal(["tone.opus"], output.Files());

        var secondFetch = await ConvertAsync(again, "fetch", "--out", output.Path);
        Assert.Equal(0, secondFetch.ExitCode);
        Assert.Equal(["nothing new to fetch"], secondFetch.Lines);
        var status = await ConvertAsync(again, "status", id);
        Assert.Contains("fetched to " + output.Combine("tone.opus"), status.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_ADifferentFileAtTheName_IsKeptAndTheOutputTakesAFreeName()
    {
        await using var broker = await TestBroker.StartAsync();
        await broker.StartWorkerAsync();
        var tone = await Clips.ToneAsync(_home.Path, seconds: 1, name: "tone.wav");
        var id = Assert.Single((await ConvertAsync(broker, "submit", tone, "--profile", "opus")).Lines);
        await broker.WaitForStateAsync(id, JobStates.Succeeded);
        using var output = new TempFolder();
        await File.WriteAllTextAsync(output.Combine("tone.opus"), "mine");

        var fetch = await ConvertAsync(broker, "fetch", id, "--out", output.Path);

        Assert.Equal(0, fetch.ExitCode);
        Assert.Contains("another file held the first name", fetch.Out, StringComparison.Ordinal);
        Assert.Equal("mine", await File.ReadAllTextAsync(output.Combine("tone.opus")));
        var job = await broker.Client.GetJobAsync(id, CancellationToken.None);
        Assert.Equal(job.Output!.Sha256, (await Sha256Digest.OfFileAsync(output.Combine("tone-1.opus"), CancellationToken.None)).Hex);
        Assert.Equal(["tone-1.opus", "tone.opus"], output.Files());
    }

    [Fact]
    public async Task Fetch_APartialDownloadLeftBehind_IsResumedAndChecked()
    {
        await using var broker = await TestBroker.StartAsync();
        await broker.StartWorkerAsync();
        var tone = await Clips.ToneAsync(_home.Path, seconds: 2, name: "tone.wav");
        var id = Assert.Single((await ConvertAsync(broker, "submit", tone, "--profile", "opus")).Lines);
        var job = await broker.WaitForStateAsync(id, JobStates.Succeeded);
        var bytes = await broker.Client.Http.GetByteArrayAsync(Contracts.Client.BrokerClient.OutputUri(id));
        using var output = new TempFolder();
        // What a fetch cut off halfway leaves: the first half, under the partial name.
        await File.WriteAllBytesAsync(output.Combine(OutputNames.Partial(id)), bytes[..(bytes.Length / 2)]);

        var fetch = await ConvertAsync(broker, "fetch", "--out", output.Path);

        Assert.Equal(0, fetch.ExitCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(output.Combine("tone.opus")));
        Assert.Equal(job.Output!.Sha256, (await Sha256Digest.OfFileAsync(output.Combine("tone.opus"), CancellationToken.None)).Hex);
        Assert.Equal(["tone.opus"], output.Files());
    }

    [Fact]
    public async Task Fetch_AJobThatIsNotDone_IsSkippedWithALine()
    {
        // No worker: the job stays queued.
        await using var broker = await TestBroker.StartAsync();
        var tone = await Clips.ToneAsync(_home.Path, seconds: 1, name: "tone.wav");
        var id = Assert.Single((await ConvertAsync(broker, "submit", tone, "--profile", "opus")).Lines);
        using var output = new TempFolder();

        var all = await ConvertAsync(broker, "fetch", "--out", output.Path);
        var one = await ConvertAsync(broker, "fetch", id, "--out", output.Path);

        Assert.Equal(0, all.ExitCode);
        Assert.Equal([$"skipped {id} (tone.wav): queued"], all.Lines);
        Assert.Equal(1, one.ExitCode);
        Assert.Contains("1 of 1 jobs were not fetched", one.SingleErrorLine(), StringComparison.Ordinal);
        Assert.Empty(output.Files());
    }

    [Fact]
    public async Task Cancel_CancelsTheJob_AndStatusShowsIt()
    {
        await using var broker = await TestBroker.StartAsync();
        var tone = await Clips.ToneAsync(_home.Path, seconds: 1, name: "tone.wav");
        var id = Assert.Single((await ConvertAsync(broker, "submit", tone, "--profile", "opus")).Lines);

        var cancel = await ConvertAsync(broker, "cancel", id);
        var again = await ConvertAsync(broker, "cancel", id);

        Assert.Equal(0, cancel.ExitCode);
        Assert.Equal([$"cancelled {id} (tone.wav)"], cancel.Lines);
        Assert.Equal(JobStates.Cancelled, (await broker.Client.GetJobAsync(id, CancellationToken.None)).State);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("job-finished", again.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Profiles_ListsTheBrokersProfiles()
    {
        await using var broker = await TestBroker.StartAsync();

        var text = await ConvertAsync(broker, "profiles");
        var json = await ConvertAsync(broker, "profiles", "--json");

        Assert.Equal(0, text.ExitCode);
        Assert.Contains(text.Lines, l => l.StartsWith("opus ", StringComparison.Ordinal) && l.Contains(".opus", StringComparison.Ordinal));
        Assert.Contains("opus", JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Submit_UnknownProfile_Exits1WithOneLine()
    {
        await using var broker = await TestBroker.StartAsync();
        var tone = await Clips.ToneAsync(_home.Path, seconds: 1, name: "tone.wav");

        var run = await ConvertAsync(broker, "submit", tone, "--profile", "no-such-profile");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("unknown profile 'no-such-profile'", run.SingleErrorLine(), StringComparison.Ordinal);
        Assert.Empty(await broker.Client.ListJobsAsync(null, null, CancellationToken.None));
    }

    [Theory]
    [InlineData("convert", "submit", "x.wav", "--profile", "opus", "--no-such-flag")]
    [InlineData("convert", "submit", "x.wav")]
    [InlineData("convert", "status", "--bogus")]
    [InlineData("convert", "watch", "--profile", "opus")]
    [InlineData("convert", "watch", ".", "--profile", "opus", "--settle", "-1")]
    [InlineData("convert", "status", "--broker", "ftp://x")]
    public async Task BadUsage_Exits2WithOneLine(params string[] args)
    {
        var run = await CliRun.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        run.SingleErrorLine();
    }

    [Fact]
    public async Task Status_WithoutAnyJob_SaysSo()
    {
        var run = await CliRun.RunAsync("convert", "status", "--broker", "http://127.0.0.1:1");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["no jobs submitted to http://127.0.0.1:1 from this client"], run.Lines);
    }

    [Fact]
    public async Task Watch_AFileThatGrowsForSeconds_IsSubmittedOnceAfterItSettles_AndFetched()
    {
        await using var broker = await TestBroker.StartAsync();
        await broker.StartWorkerAsync();
        using var made = new TempFolder();
        var bytes = await File.ReadAllBytesAsync(await Clips.ToneAsync(made.Path, seconds: 2, name: "tone.wav"));
        using var watched = new TempFolder();
        using var output = new TempFolder();
        string[] args = On(broker, "convert", "watch", watched.Path, "--profile", "opus", "--out", output.Path, "--settle", "1");

        using var stop = new CancellationTokenSource();
        var watch = CliRun.RunAsync(stop.Token, args);
        try
        {
            // Ten pieces, 400 ms apart: longer than the settle time in all, never still for it.
            var file = watched.Combine("tone.wav");
            for (var piece = 0; piece < 10; piece++)
            {
                await using (var stream = new FileStream(file, FileMode.Append))
                {
                    var size = bytes.Length / 10 + (piece == 9 ? bytes.Length % 10 : 0);
                    await stream.WriteAsync(bytes.AsMemory(piece * (bytes.Length / 10), size));
                }
                Assert.Empty(await broker.Client.ListJobsAsync(null, null, CancellationToken.None));
                await Task.Delay(400);
            }
            Assert.Equal(bytes, await File.ReadAllBytesAsync(file));

            await WaitUntilAsync(() => File.Exists(output.Combine("tone.opus")), watch);
            var job = Assert.Single(await broker.Client.ListJobsAsync(null, null, CancellationToken.None));
            Assert.Equal(JobStates.Succeeded, job.State);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), job.Sha256);
            Assert.Equal(job.Output!.Sha256, (await Sha256Digest.OfFileAsync(output.Combine("tone.opus"), CancellationToken.None)).Hex);
        }
        finally
        {
            await stop.CancelAsync();
        }
        var run = await watch;
        Assert.Equal(0, run.ExitCode);
        Assert.Single(run.Lines, l => l.StartsWith("submitted tone.wav", StringComparison.Ordinal));
        Assert.Single(run.Lines, l => l.StartsWith("fetched job", StringComparison.Ordinal));

        // A restart remembers what it submitted and fetched: nothing goes again.
        using var stopAgain = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var restarted = await CliRun.RunAsync(stopAgain.Token, args);
        Assert.Equal(0, restarted.ExitCode);
        Assert.DoesNotContain(restarted.Lines, l => l.StartsWith("submitted", StringComparison.Ordinal) || l.StartsWith("fetched", StringComparison.Ordinal));
        Assert.Single(await broker.Client.ListJobsAsync(null, null, CancellationToken.None));
        Assert.Equal(["tone.opus"], output.Files());
    }

    [Fact]
    public async Task Watch_UnknownProfile_Exits1WithOneLine()
    {
        await using var broker = await TestBroker.StartAsync();

        var run = await CliRun.RunAsync(On(broker, "convert", "watch", _home.Path, "--profile", "no-such-profile"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("unknown profile 'no-such-profile'", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Task<CliRun> running)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (running.IsCompleted)
            {
                var run = await running;
                throw new InvalidOperationException($"the watch ended early ({run.ExitCode}): {run.Out} {run.Error}");
            }
            await Task.Delay(100, timeout.Token);
        }
    }
}
