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
}
