using System.Net;
using System.Net.Sockets;
using System.Text;
using MediaFleet.Node.Replication;
using MediaFleet.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>A provisioning follower reads the upstream's manifest while it checks the files (issue 12).</summary>
public sealed class UpstreamManifestTests
{
    [Fact]
    public async Task TimeTheReaderSpendsOnALine_IsNotCountedAsSilence()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.flac", FileApi.Payload(10, seed: 1));
        await FileApi.PutOkAsync(node, "b.flac", FileApi.Payload(20, seed: 2));
        await FileApi.PutOkAsync(node, "c.flac", FileApi.Payload(30, seed: 3));
        var time = new FakeTimeProvider();

        using var manifest = new UpstreamManifest(await node.Client.OpenSnapshotAsync(CancellationToken.None), TimeSpan.FromSeconds(1), time);
        var paths = new List<string>();
        await foreach (var file in manifest.ReadAsync(CancellationToken.None))
        {
            paths.Add(file.Path);
            // Checking a line may take far longer than the idle time (a big file hashed, a full queue): not silence.
            time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(["a.flac", "b.flac", "c.flac"], paths);
        Assert.Equal(3, manifest.Version.Value);
        Assert.Equal(3, manifest.Files);
        Assert.Equal(60, manifest.Bytes);
    }

    [Fact]
    public async Task AnswerThatStopsArriving_IsGivenUpAfterTheIdleTime()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/") };
        var opening = new MediaFleet.Contracts.Client.NodeClient(http).OpenSnapshotAsync(CancellationToken.None);
        using var server = await listener.AcceptTcpClientAsync();
        await SilentAfterOneLineAsync(server.GetStream());
        var time = new FakeTimeProvider();

        using var manifest = new UpstreamManifest(await opening, TimeSpan.FromSeconds(1), time);
        await using var lines = manifest.ReadAsync(CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await lines.MoveNextAsync());
        Assert.Equal("only.flac", lines.Current.Path);
        var next = lines.MoveNextAsync().AsTask();
        time.Advance(TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => next);
        Assert.Contains("stopped arriving", error.Message, StringComparison.Ordinal);
        Assert.Null(manifest.Files);
    }

    /// <summary>Answers the request with headers and one NDJSON line in a chunk, then holds the connection open.</summary>
    private static async Task SilentAfterOneLineAsync(NetworkStream stream)
    {
        var request = new byte[4096];
        var read = 0;
        while (!Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            read += await stream.ReadAsync(request.AsMemory(read));
        }
        var line = """{"path":"only.flac","sha256":"0000000000000000000000000000000000000000000000000000000000000000","size":1,"version":1}""" + "\n";
        var answer = "HTTP/1.1 200 OK\r\nMFleet-Version: 1\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n" +
            $"{Encoding.UTF8.GetByteCount(line):x}\r\n{line}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer));
    }
}
