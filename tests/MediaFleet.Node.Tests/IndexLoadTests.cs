using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>
/// Issue 12: a restarted follower loads its file index after its first catch-up, so at a million files the load
/// (seconds of a core) does not compete with applying what changed meanwhile; a primary loads at once.
/// </summary>
public sealed class IndexLoadTests
{
    private static async Task<bool> IndexLoadedAsync(TestNode node)
    {
        using var json = JsonDocument.Parse(await node.Http.GetStringAsync("v1/status"));
        return json.RootElement.GetProperty("startup_scan").GetProperty("index_loaded").GetBoolean();
    }

    private static async Task WaitForIndexAsync(TestNode node)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(20);
        while (!await IndexLoadedAsync(node))
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the index never loaded");
            await Task.Delay(50);
        }
    }

    /// <summary>A loopback port nothing listens on: an upstream that cannot be reached.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task Follower_WaitsForItsFirstCatchUp_BeforeLoadingTheIndex_WhileAPrimaryLoadsAtOnce()
    {
        await using var primary = await TestNode.StartAsync();
        await FileApi.PutOkAsync(primary, "a.mkv", FileApi.Payload(100, seed: 1));
        await WaitForIndexAsync(primary);

        await using var stranded = await TestNode.StartFollowerAsync($"http://127.0.0.1:{ClosedPort()}");
        // Its upstream never answers: for the first seconds (at most FirstCatchUp.MaxWait, 10 s) the index waits.
        for (var i = 0; i < 20; i++)
        {
            Assert.False(await IndexLoadedAsync(stranded), $"loaded {i * 100} ms after start without a catch-up");
            await Task.Delay(100);
        }

        await using var follower = await TestNode.StartFollowerAsync(primary.Url);
        await WaitForIndexAsync(follower);
        Assert.Equal(1, follower.Store.Catalog.Version.Value);
        Assert.False(await IndexLoadedAsync(stranded));
    }
}
