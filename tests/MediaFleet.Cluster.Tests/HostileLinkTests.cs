using System.Security.Cryptography;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>Replication through links that drop connections or go silent mid-body (issue 10, bugs 3 and 4).</summary>
public sealed class HostileLinkTests
{
    [Fact]
    public async Task LinkThatCutsEveryConnectionBeforeAMebibyte_StillDeliversTheFile()
    {
        // Bug 3: resume kept only whole MiB buffers, so cuts every 700,000 bytes meant no progress at all.
        await using var primary = await TestNode.StartAsync();
        await using var proxy = new GatedProxy(new Uri(primary.Url).Port, 700_000, cut: true);
        await using var follower = await TestNode.StartFollowerAsync(proxy.Url);
        var bytes = RandomNumberGenerator.GetBytes(4 << 20);

        await primary.Client.PutFileAsync("big.bin", new MemoryStream(bytes), bytes.Length, null, CancellationToken.None);

        await Replicas.ConvergedAsync(primary.Client, follower.Client, TimeSpan.FromSeconds(60));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(follower.Library, "big.bin")));
        Assert.True(proxy.Cuts >= 5, $"the link cut {proxy.Cuts} connections");
    }

    [Fact]
    public async Task LinkThatGoesSilentMidBody_IsGivenUpAfterTheIdleTimeAndReplicationGoesOn()
    {
        // Bug 4: a connection that stopped delivering without closing held the transfer, and the change loop, for ever.
        await using var primary = await TestNode.StartAsync();
        await using var proxy = new GatedProxy(new Uri(primary.Url).Port, 300_000);
        await using var follower = await TestNode.StartFollowerAsync(proxy.Url, settings: new Dictionary<string, string?> { ["Node:TransferIdleSeconds"] = "1" });
        var bytes = RandomNumberGenerator.GetBytes(1 << 20);

        await primary.Client.PutFileAsync("stalled.bin", new MemoryStream(bytes), bytes.Length, null, CancellationToken.None);

        // The gate never opens: every connection goes silent after 300,000 bytes; each silence costs one idle time.
        await Replicas.ConvergedAsync(primary.Client, follower.Client, TimeSpan.FromSeconds(60));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(follower.Library, "stalled.bin")));
        var after = new byte[1000];
        await primary.Client.PutFileAsync("after.bin", new MemoryStream(after), after.Length, null, CancellationToken.None);
        await Replicas.ConvergedAsync(primary.Client, follower.Client, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task PartialTransferOfAPathDeletedUpstream_IsRemovedWhenTheDeleteApplies()
    {
        // Bug 8: partial-* files of deleted paths stayed in .mfleet/tmp until a restart.
        await using var primary = await TestNode.StartAsync();
        await using var proxy = new GatedProxy(new Uri(primary.Url).Port, 300_000);
        await using var follower = await TestNode.StartFollowerAsync(proxy.Url, settings: new Dictionary<string, string?> { ["Node:TransferIdleSeconds"] = "2" });
        var bytes = RandomNumberGenerator.GetBytes(2 << 20);
        await primary.Client.PutFileAsync("doomed.bin", new MemoryStream(bytes), bytes.Length, null, CancellationToken.None);
        var temp = Path.Combine(follower.Library, ".mfleet", "tmp");
        await Eventually.TrueAsync(() => Directory.EnumerateFiles(temp, "partial-*").Any(f => new FileInfo(f).Length > 0), "part of doomed.bin on the follower");

        // The transfer goes silent, is given up, and its resume finds the path gone: the delete settles it.
        await primary.Client.DeleteFileAsync("doomed.bin", CancellationToken.None);

        await Replicas.ConvergedAsync(primary.Client, follower.Client, TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => !Directory.EnumerateFiles(temp).Any(), "an empty .mfleet/tmp", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ManifestThatGoesSilentWhileProvisioning_IsAskedForAgain()
    {
        // Found by the fault campaign: a new follower whose manifest request went silent waited on it for ever.
        await using var primary = await TestNode.StartAsync();
        for (var i = 0; i < 300; i++)
        {
            await primary.Client.PutFileAsync($"lib/with-a-long-folder-name/file-{i:D4}.bin", new MemoryStream([(byte)i, 1, 2]), 3, null, CancellationToken.None);
        }
        // The first connection (the manifest) stops after 2,000 bytes and never goes on; later ones flow.
        await using var proxy = new GatedProxy(new Uri(primary.Url).Port, 2_000, heldConnections: 1);

        await using var follower = await TestNode.StartFollowerAsync(proxy.Url, settings: new Dictionary<string, string?> { ["Node:TransferIdleSeconds"] = "1" });

        await Replicas.ConvergedAsync(primary.Client, follower.Client, TimeSpan.FromSeconds(60));
    }
}
