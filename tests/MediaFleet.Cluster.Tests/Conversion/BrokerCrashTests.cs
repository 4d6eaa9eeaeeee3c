using System.Net;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Library.Digests;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests.Conversion;

/// <summary>The broker killed with kill -9 in the middle of uploads: after a restart no job is lost and no half file kept.</summary>
[Collection(ConversionCollection.Name)]
public sealed class BrokerCrashTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new("mfleet-broker-crash-");
    private readonly List<NodeProcess> _processes = [];
    private CancellationTokenSource _release = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _release.CancelAsync();
        _release.Dispose();
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        _folder.Dispose();
    }

    private async Task<NodeProcess> StartBrokerAsync(string data, int port)
    {
        var broker = await NodeProcess.StartBrokerAsync(data, listen: $"http://127.0.0.1:{port}", environment: WorkerProcessTests.SlowProfile);
        _processes.Add(broker);
        return broker;
    }

    /// <summary>Sends the first half of a file, then holds the connection open until the test ends it.</summary>
    private sealed class HalfContent(byte[] bytes, TaskCompletionSource halfSent, CancellationToken release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await stream.FlushAsync();
            halfSent.TrySetResult();
            await Task.Delay(Timeout.Infinite, release);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }

    /// <summary>Starts a request whose body stops halfway, and waits until the broker has part of it in its temp folder.</summary>
    private async Task<Task> HalfUploadAsync(HttpClient http, HttpRequestMessage request, byte[] bytes, string brokerData)
    {
        var halfSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        request.Content = new HalfContent(bytes, halfSent, _release.Token);
        var sending = http.SendAsync(request);
        await halfSent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await ProcFs.UntilAsync(() => Directory.EnumerateFiles(Path.Combine(brokerData, "tmp")).Any(),
            "the upload's temp file in the broker's tmp", TimeSpan.FromSeconds(30));
        return sending;
    }

    /// <summary>Lets the held bodies end (the broker is dead: the request fails) and returns how it ended.</summary>
    private async Task<(HttpStatusCode? Status, Exception? Error)> OutcomeAsync(Task sending)
    {
        await _release.CancelAsync();
        _release.Dispose();
        _release = new CancellationTokenSource();
        try
        {
            using var response = await ((Task<HttpResponseMessage>)sending).WaitAsync(TimeSpan.FromSeconds(30));
            return (response.StatusCode, null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return (null, e);
        }
    }

    [Fact]
    public async Task BrokerKilledWhileAnInputAndAnOutputUpload_RestartsWithEveryJob_NoHalfFile_AndEveryJobSucceeds()
    {
        var port = NodeProcess.FreePort();
        var data = _folder.Combine("broker");
        var broker = await StartBrokerAsync(data, port);
        using var http = NodeClient.CreateHttp(new Uri(broker.Url), TestNode.Token);
        var client = new BrokerClient(http);
        var first = await Clips.ToneAsync(_folder.Path, 2, "first.wav");
        var second = await Clips.ToneAsync(_folder.Path, 3, "second.wav");
        JobDto firstJob;
        await using (var content = File.OpenRead(first))
        {
            firstJob = (await client.SubmitAsync(content, content.Length, "opus", "first.wav", null, "tests", null, null, default)).Job;
        }

        // 1. kill -9 while an input arrives: the unacknowledged job does not exist, its half file goes at restart.
        var inputUpload = await HalfUploadAsync(http, new HttpRequestMessage(HttpMethod.Post, "v1/jobs?profile=opus&name=second.wav"),
            await File.ReadAllBytesAsync(second), data);
        await broker.KillAsync();
        Assert.Null((await OutcomeAsync(inputUpload)).Status);
        broker = await StartBrokerAsync(data, port);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(data, "tmp")));
        Assert.Equal([firstJob.Id], (await client.ListJobsAsync(null, null, default)).Select(j => j.Id));

        // 2. kill -9 while an output arrives (the test is the worker): the job is still running under its lease, which expires.
        var lease = (await client.LeaseAsync(new LeaseRequest("by-hand", long.MaxValue), 0, default))!;
        var output = _folder.Combine("first.opus");
        var encode = await MediaFleet.Hosting.Processes.ChildProcess.RunAsync(
            new("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", first, "-c:a", "libopus", output]), default);
        Assert.Equal(0, encode.ExitCode);
        var outputBytes = await File.ReadAllBytesAsync(output);
        var outputUpload = new HttpRequestMessage(HttpMethod.Put, $"v1/leases/{firstJob.Id}/output");
        outputUpload.Headers.Add(BrokerClient.LeaseHeader, lease.Token);
        outputUpload.Headers.Add("Repr-Digest", Sha256Digest.FromBytes(System.Security.Cryptography.SHA256.HashData(outputBytes)).ToHeaderValue());
        var uploading = await HalfUploadAsync(http, outputUpload, outputBytes, data);
        await broker.KillAsync();
        Assert.Null((await OutcomeAsync(uploading)).Status);
        broker = await StartBrokerAsync(data, port);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(data, "tmp")));
        Assert.False(Directory.EnumerateFiles(Path.Combine(data, "jobs", firstJob.Id), "output*").Any());
        Assert.Equal(JobStates.Running, (await client.GetJobAsync(firstJob.Id, default)).State);

        // 3. A worker finishes both: the first after its lease expired, the second submitted again.
        JobDto secondJob;
        await using (var content = File.OpenRead(second))
        {
            secondJob = (await client.SubmitAsync(content, content.Length, "opus", "second.wav", null, "tests", null, null, default)).Job;
        }
        _processes.Add(await NodeProcess.StartWorkerAsync(broker.Url, _folder.Combine("scratch"),
            environment: new Dictionary<string, string> { ["MFLEET_Worker__MarginBytes"] = "0", ["MFLEET_Worker__LeaseWaitSeconds"] = "1" }));
        foreach (var id in new[] { firstJob.Id, secondJob.Id })
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            JobDto job;
            while ((job = await client.GetJobAsync(id, default)).State != JobStates.Succeeded)
            {
                Assert.False(JobStates.IsFinished(job.State), $"job {id} ended {job.State}: {job.Error}");
                await Task.Delay(100, timeout.Token);
            }
            var fetched = await http.GetByteArrayAsync(BrokerClient.OutputUri(id));
            Assert.Equal(job.Output!.Sha256, Sha256Digest.FromBytes(System.Security.Cryptography.SHA256.HashData(fetched)).Hex);
        }
        Assert.Equal(1, (await client.GetJobAsync(firstJob.Id, default)).Attempts);
    }
}
