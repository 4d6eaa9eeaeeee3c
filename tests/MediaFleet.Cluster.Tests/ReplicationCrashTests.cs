using System.Net.Http.Headers;
using MediaFleet.Contracts.Client;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>Followers and upstreams killed mid-transfer (separate processes, one test at a time).</summary>
[Collection(ProcessCollection.Name)]
public sealed class ReplicationCrashTests
{
    private const long Large = 192L << 20;

    private static async Task PutLargeAsync(string url, string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestNode.Token);
        using var content = new StreamContent(new PatternStream(Large), 1 << 20);
        content.Headers.ContentLength = Large;
        (await http.PutAsync(NodeClient.FileUri(path), content)).EnsureSuccessStatusCode();
    }

    private static NodeClient Client(string url) => new(NodeClient.CreateHttp(new Uri(url), TestNode.Token));

    private static bool PartialExists(string library) =>
        Directory.Exists(Path.Combine(library, ".mfleet", "tmp"))
        && Directory.EnumerateFiles(Path.Combine(library, ".mfleet", "tmp"), "partial-*").Any(f => new FileInfo(f).Length > 0);

    [Fact]
    public async Task FollowerKilledMidTransfer_RestartsAndConverges()
    {
        await using var primary = await TestNode.StartAsync();
        await PutLargeAsync(primary.Url, "big.bin");
        using var folder = new TempFolder();

        var follower = await NodeProcess.StartAsync(folder.Path, ["--upstream", primary.Url]);
        await Eventually.TrueAsync(() => PartialExists(folder.Path) || File.Exists(Path.Combine(folder.Path, "big.bin")), "the transfer to start");
        await follower.KillAsync();
        await follower.DisposeAsync();

        await using var restarted = await NodeProcess.StartAsync(folder.Path, ["--upstream", primary.Url]);

        await Replicas.ConvergedAsync(primary.Client, Client(restarted.Url), TimeSpan.FromMinutes(2));
        Replicas.SameBytes(primary.Library, folder.Path);
    }

    [Fact]
    public async Task UpstreamKilledMidTransfer_FollowerResumesWithRangeAndConverges()
    {
        using var upstreamFolder = new TempFolder();
        var port = NodeProcess.FreePort();
        var upstream = await NodeProcess.StartAsync(upstreamFolder.Path, listen: $"http://127.0.0.1:{port}");
        await PutLargeAsync(upstream.Url, "big.bin");
        // The follower reaches its upstream through a proxy that stops each answer after 32 MiB.
        await using var proxy = new GatedProxy(port, 32L << 20);
        await using var follower = await TestNode.StartFollowerAsync(proxy.Url);
        await Eventually.TrueAsync(() => PartialExists(follower.Library) && proxy.Forwarded >= 24L << 20, "part of the file on the follower");

        await upstream.KillAsync();
        await upstream.DisposeAsync();
        proxy.Open();
        await using var back = await NodeProcess.StartAsync(upstreamFolder.Path, listen: $"http://127.0.0.1:{port}");

        await Replicas.ConvergedAsync(Client(back.Url), follower.Client, TimeSpan.FromMinutes(2));
        Replicas.SameBytes(upstreamFolder.Path, follower.Library);
        Assert.Equal(1, await Replicas.CounterAsync(follower, "mfleet_replication_resumed_total"));
        // Every byte crossed once: the second request asked only for what the first did not deliver.
        Assert.Equal(Large, await Replicas.CounterAsync(follower, "mfleet_replication_transfer_bytes_total"));
    }
}
