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

    private static async Task CaughtUpAsync(TestNode primary, TestNode follower)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(20);
        while (follower.Store.Catalog.Version != primary.Store.Catalog.Version)
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the follower never caught up");
            await Task.Delay(50);
        }
    }

    private static async Task<int> FilesAsync(TestNode node)
    {
        using var json = JsonDocument.Parse(await node.Http.GetStringAsync("v1/status"));
        return json.RootElement.GetProperty("files").GetInt32();
    }

    [Fact]
    public async Task RestartedFollower_WaitsForItsFirstCatchUp_BeforeLoadingTheIndex_AndCountsItsFilesMeanwhile()
    {
        await using var primary = await TestNode.StartAsync();
        await FileApi.PutOkAsync(primary, "a.mkv", FileApi.Payload(100, seed: 1));
        await FileApi.PutOkAsync(primary, "b.mkv", FileApi.Payload(200, seed: 2));
        await WaitForIndexAsync(primary);
        using var folder = new TempFolder("mfleet-follower-");
        await using (var first = await TestNode.StartFollowerAsync(primary.Url, folder.Path))
        {
            // Provisioning an empty folder does not hold the (empty) index back.
            await WaitForIndexAsync(first);
            await CaughtUpAsync(primary, first);
        }

        // Restarted against an upstream that never answers: for its first seconds (at most FirstCatchUp.MaxWait, 10 s)
        // the index waits, and the status still counts the two files from the catalog.
        await using var stranded = await TestNode.StartFollowerAsync($"http://127.0.0.1:{ClosedPort()}", folder.Path);
        for (var i = 0; i < 20; i++)
        {
            Assert.False(await IndexLoadedAsync(stranded), $"loaded {i * 100} ms after start without a catch-up");
            Assert.Equal(2, await FilesAsync(stranded));
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task RestartedFollower_LoadsTheIndexOnceCaughtUp()
    {
        await using var primary = await TestNode.StartAsync();
        await FileApi.PutOkAsync(primary, "a.mkv", FileApi.Payload(100, seed: 1));
        using var folder = new TempFolder("mfleet-follower-");
        await using (var first = await TestNode.StartFollowerAsync(primary.Url, folder.Path))
        {
            await CaughtUpAsync(primary, first);
        }
        await FileApi.PutOkAsync(primary, "b.mkv", FileApi.Payload(200, seed: 2));

        await using var follower = await TestNode.StartFollowerAsync(primary.Url, folder.Path);

        await WaitForIndexAsync(follower);
        Assert.Equal(2, follower.Store.Catalog.Version.Value);
        Assert.Equal(2, await FilesAsync(follower));
    }
}
