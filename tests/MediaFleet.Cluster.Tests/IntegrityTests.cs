using System.Net;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;
using MediaFleet.Library.Catalog;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>
/// Scrub, quarantine and heal with real nodes (DESIGN.md section 7, issue 6's acceptance): a flipped byte is found,
/// the bad bytes are kept aside and never served, and good bytes come back from another node.
/// </summary>
public sealed class IntegrityTests
{
    private const string Path1 = "media/v.bin";
    private static readonly byte[] Original = Enumerable.Range(0, 256 * 1024).Select(i => (byte)(i * 7 % 251)).ToArray();

    [Fact]
    public async Task FlippedByteOnAFollower_IsQuarantinedWithItsBytesKept_NeverServed_AndHealedFromUpstream()
    {
        await using var primary = await TestNode.StartAsync();
        await using var follower = await TestNode.StartFollowerAsync(primary.Url);
        await PutAsync(primary, follower);
        var flipped = Flip(follower);

        var lines = await VerifyAsync(follower);

        var bad = Assert.Single(lines, l => l.Event == "bad");
        Assert.Equal(Path1, bad.Path);
        Assert.Contains("hash to", bad.Detail, StringComparison.Ordinal);
        Assert.Equal(flipped, await File.ReadAllBytesAsync(QuarantinedCopy(follower)));
        // Whether still quarantined (read-through) or already healed, the follower answers only good bytes.
        Assert.Equal(Original, await GetAsync(follower));
        await HealedAsync(follower);
        Assert.Equal(Original, await File.ReadAllBytesAsync(System.IO.Path.Combine(follower.Library, Path1)));
        Assert.Equal(Original, await GetAsync(follower));
    }

    [Fact]
    public async Task ScheduledScrub_FindsAFlippedByte_WithoutBeingAsked()
    {
        var scrub = new Dictionary<string, string?> { ["Scrub:BudgetMBps"] = "1000", ["Scrub:CheckTtlDays"] = "0", ["Scrub:IdleSeconds"] = "0.2" };
        await using var primary = await TestNode.StartAsync();
        await using var follower = await TestNode.StartFollowerAsync(primary.Url, settings: scrub);
        await PutAsync(primary, follower);
        var flipped = Flip(follower);

        await Eventually.TrueAsync(() => QuarantinedCopies(follower).Any(), "the scrub to quarantine the flipped copy", TimeSpan.FromSeconds(30));

        Assert.Equal(flipped, await File.ReadAllBytesAsync(QuarantinedCopy(follower)));
        await HealedAsync(follower);
        // The scrub counts the bad copy just after quarantining it; on a busy machine the heal may be quicker.
        await Eventually.TrueAsync(async () => (await follower.Client.GetStatusAsync(CancellationToken.None)).Scrub!.Bad >= 1, "the scrub to count the bad copy");
        var status = await follower.Client.GetStatusAsync(CancellationToken.None);
        Assert.True(status.Scrub!.Enabled);
        Assert.True(status.Scrub.Bad >= 1);
        Assert.Contains(Path1, status.Scrub.LastBad, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlippedByteOnThePrimary_IsNotServed_AndIsHealedFromAFollowerTheCoordinatorLists()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        await using var primary = await TestNode.StartAsync(settings: coordinator.NodeSettings("p"));
        await using var follower = await TestNode.StartFollowerAsync(primary.Url, settings: coordinator.NodeSettings("f"));
        await PutAsync(primary, follower);
        await Eventually.TrueAsync(async () => (await coordinator.NodeAsync("f")) is not null, "the coordinator to know the follower");
        Flip(primary);

        var lines = await VerifyAsync(primary);

        Assert.Single(lines, l => l.Event == "bad");
        await HealedAsync(primary);
        Assert.Equal(Original, await File.ReadAllBytesAsync(System.IO.Path.Combine(primary.Library, Path1)));
        Assert.Equal(Original, await GetAsync(primary));
        Assert.Equal(1, (await primary.Client.GetStatusAsync(CancellationToken.None)).Version); // a heal is not a new version
    }

    [Fact]
    public async Task NoGoodCopyAnywhere_StaysMissingWithTheReason_AndNothingIsOverwritten()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        await using var primary = await TestNode.StartAsync(settings: coordinator.NodeSettings("p"));
        await using var follower = await TestNode.StartFollowerAsync(primary.Url, settings: coordinator.NodeSettings("f"));
        await PutAsync(primary, follower);
        await Eventually.TrueAsync(async () => (await coordinator.NodeAsync("f")) is not null && (await coordinator.NodeAsync("p")) is not null, "the coordinator to know both nodes");
        var primaryBytes = Flip(primary, at: 10);
        var followerBytes = Flip(follower, at: 20);

        await VerifyAsync(primary);
        await VerifyAsync(follower);

        foreach (var node in (TestNode[])[primary, follower])
        {
            await Eventually.TrueAsync(async () => (await node.Client.GetMissingAsync(CancellationToken.None))
                .Any(m => m.Path == Path1 && m.Reason.Contains("no good copy found", StringComparison.Ordinal)), "a failed heal to be listed", TimeSpan.FromSeconds(30));
            Assert.False(File.Exists(System.IO.Path.Combine(node.Library, Path1)));
            Assert.Equal(FileState.Corrupt, node.Store.Catalog.Find(Path1)!.State);
        }
        Assert.Equal(primaryBytes, await File.ReadAllBytesAsync(QuarantinedCopy(primary)));
        Assert.Equal(followerBytes, await File.ReadAllBytesAsync(QuarantinedCopy(follower)));
        using var response = await primary.Http.GetAsync(NodeClient.FileUri(Path1));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task PutAsync(TestNode primary, TestNode follower)
    {
        await using var body = new MemoryStream(Original);
        await primary.Client.PutFileAsync(Path1, body, body.Length, null, CancellationToken.None);
        await Replicas.ConvergedAsync(primary.Client, follower.Client, TimeSpan.FromSeconds(30));
    }

    /// <summary>Changes one byte of the node's copy in place (same size), as bit rot would; returns the bad bytes.</summary>
    private static byte[] Flip(TestNode node, int at = 1000)
    {
        var path = System.IO.Path.Combine(node.Library, Path1);
        var bytes = File.ReadAllBytes(path);
        bytes[at] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    private static async Task<List<VerifyLineDto>> VerifyAsync(TestNode node)
    {
        var lines = new List<VerifyLineDto>();
        await foreach (var line in node.Client.VerifyAsync("", CancellationToken.None))
        {
            lines.Add(line);
        }
        Assert.Equal("done", lines[^1].Event);
        return lines;
    }

    private static IEnumerable<string> QuarantinedCopies(TestNode node)
    {
        var folder = System.IO.Path.Combine(node.Library, ".mfleet", "quarantine");
        return Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "v.bin", SearchOption.AllDirectories) : [];
    }

    private static string QuarantinedCopy(TestNode node) => Assert.Single(QuarantinedCopies(node));

    private static Task HealedAsync(TestNode node) => Eventually.TrueAsync(
        () => node.Store.Catalog.Find(Path1)?.State == FileState.Ok && node.Store.Catalog.FindMissing(Path1) is null,
        "the copy to be healed", TimeSpan.FromSeconds(30));

    private static async Task<byte[]> GetAsync(TestNode node) => await node.Http.GetByteArrayAsync(NodeClient.FileUri(Path1));
}
