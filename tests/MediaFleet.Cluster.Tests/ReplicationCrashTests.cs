using System.Net.Http.Headers;
using MediaFleet.Contracts.Client;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>Followers and upstreams killed mid-transfer (separate processes, one test at a time).</summary>
[Collection(ProcessCollection.Name)]
public sealed class ReplicationCrashTests
{
    private const long Large = 192L << 20;

    private static async Task PutLargeAsync(string url, string path, long size = Large)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestNode.Token);
        using var content = new StreamContent(new PatternStream(size), 1 << 20);
        content.Headers.ContentLength = size;
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
        await PutLargeAsync(primary.Url, "first.bin");
        await using var proxy = new GatedProxy(new Uri(primary.Url).Port, 32L << 20);
        using var folder = new TempFolder();
        await using var follower = await NodeProcess.StartAsync(folder.Path, ["--upstream", proxy.Url]);
        proxy.Open();
        await Replicas.ConvergedAsync(primary.Client, Client(follower.Url), TimeSpan.FromMinutes(2));

        // A change seen during live catch-up, killed mid-transfer: seen_version is past data_version on disk.
        await using var slow = new GatedProxy(new Uri(primary.Url).Port, 32L << 20);
        await follower.KillAsync();
        await using var catchingUp = await NodeProcess.StartAsync(folder.Path, ["--upstream", slow.Url]);
        // Another size, so another digest: the follower cannot copy first.bin locally and must transfer.
        await PutLargeAsync(primary.Url, "second.bin", Large + 1);
        await Eventually.TrueAsync(() => PartialExists(folder.Path) && slow.Forwarded >= 24L << 20, "part of second.bin on the follower");
        await catchingUp.KillAsync();
        slow.Open();

        await using var restarted = await NodeProcess.StartAsync(folder.Path, ["--upstream", slow.Url]);

        await Replicas.ConvergedAsync(primary.Client, Client(restarted.Url), TimeSpan.FromMinutes(2));
        Replicas.SameBytes(primary.Library, folder.Path);
    }

    [Fact]
    public async Task UpstreamKilledMidTransfer_FollowerResumesWithRangeAndConverges()
    {
        using var upstreamFolder = new TempFolder();
        var port = NodeProcess.FreePort();
        await using var upstream = await NodeProcess.StartAsync(upstreamFolder.Path, listen: $"http://127.0.0.1:{port}");
        await PutLargeAsync(upstream.Url, "big.bin");
        // The follower reaches its upstream through a proxy that stops each answer after 32 MiB.
        await using var proxy = new GatedProxy(port, 32L << 20);
        await using var follower = await TestNode.StartFollowerAsync(proxy.Url);
        await Eventually.TrueAsync(() => PartialExists(follower.Library) && proxy.Forwarded >= 24L << 20, "part of the file on the follower");

        await upstream.KillAsync();
        proxy.Open();
        await using var back = await NodeProcess.StartAsync(upstreamFolder.Path, listen: $"http://127.0.0.1:{port}");

        await Replicas.ConvergedAsync(Client(back.Url), follower.Client, TimeSpan.FromMinutes(2));
        Replicas.SameBytes(upstreamFolder.Path, follower.Library);
        Assert.Equal(1, await Replicas.CounterAsync(follower, "mfleet_replication_resumed_total"));
        // Every byte crossed once: the second request asked only for what the first did not deliver.
        Assert.Equal(Large, await Replicas.CounterAsync(follower, "mfleet_replication_transfer_bytes_total"));
    }
}
