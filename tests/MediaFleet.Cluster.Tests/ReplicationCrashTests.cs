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

/// <summary>Issue 12: a follower killed in the middle of a group-committed batch of small files.</summary>
[Collection(ProcessCollection.Name)]
public sealed class SmallFileBatchCrashTests
{
    private const int Files = 4000;

    [Fact]
    public async Task FollowerKilledMidBatchOfSmallFiles_ShowsOnlyWholeFiles_AndConvergesAfterRestart()
    {
        await using var primary = await TestNode.StartAsync();
        var random = new Random(12);
        for (var i = 0; i < Files; i++)
        {
            var file = Path.Combine(primary.Library, $"d{i % 40}", $"f{i:D5}.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var bytes = new byte[random.Next(1, 8192)];
            random.NextBytes(bytes);
            await File.WriteAllBytesAsync(file, bytes);
        }
        await foreach (var _ in primary.Client.AdoptAsync("", CancellationToken.None))
        {
        }
        Assert.Equal(Files, (await primary.Client.GetStatusAsync(CancellationToken.None)).Files);

        using var folder = new TempFolder();
        var follower = await NodeProcess.StartAsync(folder.Path, ["--upstream", primary.Url]);
        var client = new NodeClient(NodeClient.CreateHttp(new Uri(follower.Url), TestNode.Token));
        try
        {
            // Killed once part of the library has arrived, while transfers and group commits are in flight.
            await Eventually.TrueAsync(async () => (await client.GetStatusAsync(CancellationToken.None)).Files >= Files / 10,
                "a tenth of the files on the follower", TimeSpan.FromMinutes(2));
            await follower.KillAsync();
        }
        finally
        {
            await follower.DisposeAsync();
        }
        var arrived = Directory.EnumerateFiles(folder.Path, "*.bin", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/.mfleet/", StringComparison.Ordinal)).ToList();
        Assert.InRange(arrived.Count, 1, Files - 1);
        foreach (var file in arrived)
        {
            // Whatever is at a library path is a whole file with the primary's bytes.
            var relative = Path.GetRelativePath(folder.Path, file);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(primary.Library, relative)), await File.ReadAllBytesAsync(file));
        }

        await using var restarted = await NodeProcess.StartAsync(folder.Path, ["--upstream", primary.Url]);
        var again = new NodeClient(NodeClient.CreateHttp(new Uri(restarted.Url), TestNode.Token));
        await Replicas.ConvergedAsync(primary.Client, again, TimeSpan.FromMinutes(3));
        Replicas.SameBytes(primary.Library, folder.Path);
        Assert.Empty(await again.GetMissingAsync(CancellationToken.None));
    }
}
