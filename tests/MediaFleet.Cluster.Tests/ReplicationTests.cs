using System.Security.Cryptography;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>Followers and followers of followers, as real nodes on loopback (in this process).</summary>
public sealed class ReplicationTests
{
    private static async Task PutAsync(TestNode node, string path, byte[] bytes)
    {
        await using var stream = new MemoryStream(bytes);
        await node.Client.PutFileAsync(path, stream, bytes.Length, null, CancellationToken.None);
    }

    [Fact]
    public async Task Grandchild_GetsEveryPutDeleteAndMove()
    {
        await using var primary = await TestNode.StartAsync();
        await using var child = await TestNode.StartFollowerAsync(primary.Url);
        await using var grandchild = await TestNode.StartFollowerAsync(child.Url);

        await PutAsync(primary, "Movies/a.mkv", RandomNumberGenerator.GetBytes(200_000));
        // Both followers hold a.mkv before it moves, so the move reaches them through the changelog.
        await Replicas.ConvergedAsync(primary.Client, grandchild.Client);
        await PutAsync(primary, "Movies/b.mkv", RandomNumberGenerator.GetBytes(1000));
        await PutAsync(primary, "Music/c.flac", RandomNumberGenerator.GetBytes(5000));
        await primary.Client.MoveAsync("Movies/a.mkv", "Archive/a.mkv", CancellationToken.None);
        await primary.Client.DeleteFileAsync("Movies/b.mkv", CancellationToken.None);
        await PutAsync(primary, "Music/c.flac", RandomNumberGenerator.GetBytes(6000));

        await Replicas.ConvergedAsync(primary.Client, grandchild.Client);
        Replicas.SameBytes(primary.Library, grandchild.Library);
        Replicas.SameBytes(primary.Library, child.Library);
        var status = await grandchild.Client.GetStatusAsync(CancellationToken.None);
        Assert.Equal((6L, 6L, 0), (status.Version, status.SeenVersion, status.Missing));
        Assert.Equal(1, await Replicas.CounterAsync(grandchild, "mfleet_replication_local_moves_total"));
    }

    [Fact]
    public async Task ChangeOnPrimary_ReachesGrandchildWhileAllAreUp()
    {
        await using var primary = await TestNode.StartAsync();
        await using var child = await TestNode.StartFollowerAsync(primary.Url);
        await using var grandchild = await TestNode.StartFollowerAsync(child.Url);
        await PutAsync(primary, "warmup.bin", [1]);
        await Replicas.ConvergedAsync(primary.Client, grandchild.Client);

        var bytes = RandomNumberGenerator.GetBytes(50_000);
        await PutAsync(primary, "live.bin", bytes);

        // Long-polls wake on the change at each level; the deadline only guards against a hang.
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(grandchild.Library, "live.bin")), "live.bin on the grandchild", TimeSpan.FromSeconds(10));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(grandchild.Library, "live.bin")));
    }

    [Fact]
    public async Task NewEmptyNode_ProvisionsAndMatchesThePrimaryByteForByte()
    {
        await using var primary = await TestNode.StartAsync();
        for (var i = 0; i < 40; i++)
        {
            await PutAsync(primary, $"lib/{i % 5}/file{i}.bin", RandomNumberGenerator.GetBytes(10_000 + i));
        }
        await primary.Client.DeleteFileAsync("lib/0/file0.bin", CancellationToken.None);

        await using var follower = await TestNode.StartFollowerAsync(primary.Url);

        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        Replicas.SameBytes(primary.Library, follower.Library);
        Assert.Equal(39, await Replicas.CounterAsync(follower, "mfleet_replication_transfers_total"));
    }

    [Fact]
    public async Task NewEmptyNode_ProvisionsSmallFilesInBundles_AndLargeOnesAlone()
    {
        await using var primary = await TestNode.StartAsync();
        for (var i = 0; i < 300; i++)
        {
            await PutAsync(primary, $"Art/{i % 7}/cover{i}.jpg", RandomNumberGenerator.GetBytes(i * 37));
        }
        await PutAsync(primary, "Movies/big.mkv", RandomNumberGenerator.GetBytes(3_000_000));

        await using var follower = await TestNode.StartFollowerAsync(primary.Url);

        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        Replicas.SameBytes(primary.Library, follower.Library);
        Assert.Equal(301, await Replicas.CounterAsync(follower, "mfleet_replication_transfers_total"));
        var bundles = await Replicas.CounterAsync(follower, "mfleet_replication_bundles_total");
        Assert.InRange(bundles, 2, 30);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(follower.Library, ".mfleet", "tmp")));
    }

    [Fact]
    public async Task Provisioning_AFileTheUpstreamCannotSendInABundle_IsTriedAloneAndListedMissing_TheRestArrive()
    {
        await using var primary = await TestNode.StartAsync();
        for (var i = 0; i < 50; i++)
        {
            await PutAsync(primary, $"Art/cover{i}.jpg", RandomNumberGenerator.GetBytes(4096));
        }
        // Changed on the primary's disk behind its catalog: the bundle sends a problem line for it, not its bytes.
        await File.WriteAllBytesAsync(Path.Combine(primary.Library, "Art", "cover7.jpg"), RandomNumberGenerator.GetBytes(100));

        await using var follower = await TestNode.StartFollowerAsync(primary.Url);

        await Eventually.TrueAsync(async () => (await follower.Client.GetStatusAsync(CancellationToken.None)) is { SeenVersion: 50, Files: 49, Missing: 1 },
            "the follower holding 49 files with one missing", TimeSpan.FromSeconds(30));
        var missing = Assert.Single(await follower.Client.GetMissingAsync(CancellationToken.None));
        Assert.Equal("Art/cover7.jpg", missing.Path);
        Assert.False(File.Exists(Path.Combine(follower.Library, "Art", "cover7.jpg")));
        for (var i = 0; i < 50; i++)
        {
            if (i != 7)
            {
                Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(primary.Library, "Art", $"cover{i}.jpg")), await File.ReadAllBytesAsync(Path.Combine(follower.Library, "Art", $"cover{i}.jpg")));
            }
        }
        // The 49 came in bundles, not one by one: how many depends on how far the checks had filled the queue when a
        // bundle loop woke (one, mostly).
        Assert.InRange(await Replicas.CounterAsync(follower, "mfleet_replication_bundles_total"), 1, 10);
    }

    [Fact]
    public async Task RestartedFollowerFarBehind_CatchesUpOnSmallFilesInBundles_AndLiveChangesOneByOne()
    {
        await using var primary = await TestNode.StartAsync();
        using var folder = new TempFolder("mfleet-behind-");
        await PutAsync(primary, "first.bin", RandomNumberGenerator.GetBytes(100));
        await using (var before = await TestNode.StartFollowerAsync(primary.Url, folder.Path))
        {
            await Replicas.ConvergedAsync(primary.Client, before.Client);
        }
        for (var i = 0; i < 40; i++)
        {
            await PutAsync(primary, $"Art/{i % 3}/new{i}.jpg", RandomNumberGenerator.GetBytes(1000 + i));
        }
        await PutAsync(primary, "first.bin", RandomNumberGenerator.GetBytes(200));

        await using var follower = await TestNode.StartFollowerAsync(primary.Url, folder.Path);
        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        await PutAsync(primary, "live.bin", RandomNumberGenerator.GetBytes(300));
        await Replicas.ConvergedAsync(primary.Client, follower.Client);

        Replicas.SameBytes(primary.Library, follower.Library);
        Assert.Equal(1, await Replicas.CounterAsync(follower, "mfleet_replication_bundles_total"));
        Assert.Equal(42, await Replicas.CounterAsync(follower, "mfleet_replication_transfers_total"));
    }

    [Fact]
    public async Task SameContentAtManyPaths_ProvisionsAndCatchesUpWithParallelTransfers()
    {
        await using var primary = await TestNode.StartAsync();
        var same = RandomNumberGenerator.GetBytes(2_000_000);
        for (var i = 0; i < 8; i++)
        {
            await PutAsync(primary, $"copies/{i}.bin", same);
        }
        await using var follower = await TestNode.StartFollowerAsync(primary.Url);
        await Replicas.ConvergedAsync(primary.Client, follower.Client);

        // A batch of puts with one content: applied side by side (parallel transfers or local copies).
        var other = RandomNumberGenerator.GetBytes(2_000_000);
        for (var i = 0; i < 8; i++)
        {
            await PutAsync(primary, $"more/{i}.bin", other);
        }

        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        Replicas.SameBytes(primary.Library, follower.Library);
    }

    [Fact]
    public async Task FollowerPrefilledByRsync_ProvisionsWithoutTransferringThoseFiles()
    {
        await using var primary = await TestNode.StartAsync();
        for (var i = 0; i < 10; i++)
        {
            await PutAsync(primary, $"old/{i}.bin", RandomNumberGenerator.GetBytes(20_000));
        }
        using var folder = new TempFolder();
        var rsync = System.Diagnostics.Process.Start("rsync", ["-a", "--exclude", ".mfleet", primary.Library + "/", folder.Path + "/"])!;
        await rsync.WaitForExitAsync();
        Assert.Equal(0, rsync.ExitCode);
        await PutAsync(primary, "new/after-rsync.bin", RandomNumberGenerator.GetBytes(3000));

        await using var follower = await TestNode.StartFollowerAsync(primary.Url, folder.Path);

        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        Replicas.SameBytes(primary.Library, folder.Path);
        Assert.Equal(10, await Replicas.CounterAsync(follower, "mfleet_replication_kept_total"));
        Assert.Equal(1, await Replicas.CounterAsync(follower, "mfleet_replication_transfers_total"));
    }

    [Fact]
    public async Task FollowerPrefilledWithTenThousandFiles_KeepsThemInABulkLoad_AndBuildsTheDigestIndexAfter()
    {
        await using var primary = await TestNode.StartAsync();
        for (var folder = 0; folder < 10; folder++)
        {
            Directory.CreateDirectory(Path.Combine(primary.Library, $"d{folder}"));
            for (var i = 0; i < 1000; i++)
            {
                await File.WriteAllBytesAsync(Path.Combine(primary.Library, $"d{folder}/{i}.bin"), BitConverter.GetBytes(folder * 1000L + i));
            }
        }
        await foreach (var _ in new MediaFleet.Library.Adopt.Adopter(primary.Store).AdoptAsync("", CancellationToken.None))
        {
        }
        using var copy = new TempFolder();
        var rsync = System.Diagnostics.Process.Start("rsync", ["-a", "--exclude", ".mfleet", primary.Library + "/", copy.Path + "/"])!;
        await rsync.WaitForExitAsync();
        Assert.Equal(0, rsync.ExitCode);
        var logs = new CapturedLogs();

        await using var follower = await TestNode.StartFollowerAsync(primary.Url, copy.Path, logs: logs);

        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        Assert.Equal(10_000, await Replicas.CounterAsync(follower, "mfleet_replication_kept_total"));
        Assert.Equal(0, await Replicas.CounterAsync(follower, "mfleet_replication_transfers_total"));
        // Event 1030: the digest index dropped for the load; 1031: built again at its end, before the version was published.
        Assert.Single(logs.WithId(1030));
        Assert.Single(logs.WithId(1031));
        Assert.True(follower.Store.Catalog.HasDigestIndex);
    }

    [Fact]
    public async Task FollowerPrefilled_WithASymlinkToTheSameBytesOutside_NeitherKeepsNorWritesThroughIt()
    {
        await using var primary = await TestNode.StartAsync();
        var secret = RandomNumberGenerator.GetBytes(4096);
        await PutAsync(primary, "a/secret.bin", secret);
        await PutAsync(primary, "a/plain.bin", RandomNumberGenerator.GetBytes(4096));
        using var folder = new TempFolder();
        using var outside = new TempFolder();
        await File.WriteAllBytesAsync(outside.Combine("secret.bin"), secret);
        var before = File.GetLastWriteTimeUtc(outside.Combine("secret.bin"));
        Directory.CreateDirectory(Path.Combine(folder.Path, "a"));
        File.CreateSymbolicLink(Path.Combine(folder.Path, "a/secret.bin"), outside.Combine("secret.bin"));

        await using var follower = await TestNode.StartFollowerAsync(primary.Url, folder.Path);

        await Eventually.TrueAsync(async () => (await follower.Client.GetMissingAsync(CancellationToken.None)).Any(m => m.Path == "a/secret.bin")
            && File.Exists(Path.Combine(folder.Path, "a/plain.bin")), "the link's path listed missing and the other file there");
        Assert.Equal(0, await Replicas.CounterAsync(follower, "mfleet_replication_kept_total"));
        Assert.Null(follower.Store.Catalog.Find("a/secret.bin"));
        Assert.Equal(secret, await File.ReadAllBytesAsync(outside.Combine("secret.bin")));
        Assert.Equal(before, File.GetLastWriteTimeUtc(outside.Combine("secret.bin")));
        Assert.Single(Directory.EnumerateFileSystemEntries(outside.Path));
    }

    [Fact]
    public async Task FollowerPrefilled_KeepsOnlyFilesOfTheRightSizeAndDigest_AndRecordsTheirModificationTime()
    {
        await using var primary = await TestNode.StartAsync();
        var same = RandomNumberGenerator.GetBytes(5000);
        var sameSize = RandomNumberGenerator.GetBytes(5000);
        var otherSize = RandomNumberGenerator.GetBytes(5000);
        await PutAsync(primary, "a/same.bin", same);
        await PutAsync(primary, "a/same-size.bin", sameSize);
        await PutAsync(primary, "a/other-size.bin", otherSize);
        using var folder = new TempFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "a"));
        await File.WriteAllBytesAsync(Path.Combine(folder.Path, "a/same.bin"), same);
        // The catalog keeps milliseconds; the file's time has finer parts.
        var modified = new DateTime(2020, 5, 17, 8, 30, 15, 123, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(folder.Path, "a/same.bin"), modified.AddTicks(4567));
        // An old copy of the same length with other bytes, and one of another length: both are fetched anew.
        await File.WriteAllBytesAsync(Path.Combine(folder.Path, "a/same-size.bin"), RandomNumberGenerator.GetBytes(5000));
        await File.WriteAllBytesAsync(Path.Combine(folder.Path, "a/other-size.bin"), otherSize[..4000]);

        await using var follower = await TestNode.StartFollowerAsync(primary.Url, folder.Path);

        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        Replicas.SameBytes(primary.Library, folder.Path);
        Assert.Equal(1, await Replicas.CounterAsync(follower, "mfleet_replication_kept_total"));
        Assert.Equal(2, await Replicas.CounterAsync(follower, "mfleet_replication_transfers_total"));
        Assert.Equal(modified, follower.Store.Catalog.Find("a/same.bin")!.Modified.UtcDateTime);
    }

    [Fact]
    public async Task CopyWhoseBytesDoNotMatchTheChangelog_IsNeverInstalledAndListedMissing()
    {
        await using var primary = await TestNode.StartAsync();
        await PutAsync(primary, "good.bin", RandomNumberGenerator.GetBytes(1000));
        await PutAsync(primary, "rotten.bin", RandomNumberGenerator.GetBytes(1000));
        await PutAsync(primary, "later.bin", RandomNumberGenerator.GetBytes(1000));
        // Bit rot on the primary's disk: its catalog still names the original digest.
        var onDisk = Path.Combine(primary.Library, "rotten.bin");
        var bytes = await File.ReadAllBytesAsync(onDisk);
        bytes[10] ^= 0xFF;
        await File.WriteAllBytesAsync(onDisk, bytes);

        await using var follower = await TestNode.StartFollowerAsync(primary.Url);
        await Eventually.TrueAsync(async () => (await follower.Client.GetStatusAsync(CancellationToken.None)) is { Missing: 1, SeenVersion: 3 }
            && File.Exists(Path.Combine(follower.Library, "later.bin")), "the follower to settle");

        var missing = Assert.Single(await follower.Client.GetMissingAsync(CancellationToken.None));
        Assert.Equal(("rotten.bin", 2L), (missing.Path, missing.Version));
        Assert.Contains("digest mismatch", missing.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(follower.Library, "rotten.bin")));
        var status = await follower.Client.GetStatusAsync(CancellationToken.None);
        Assert.Equal((1L, 3L), (status.Version, status.SeenVersion));
    }

    [Fact]
    public async Task AfterCompaction_AnOldFollowerGets410AndProvisionsAgain()
    {
        await using var primary = await TestNode.StartAsync();
        using var folder = new TempFolder();
        await PutAsync(primary, "a.bin", RandomNumberGenerator.GetBytes(1000));
        await using (var follower = await TestNode.StartFollowerAsync(primary.Url, folder.Path))
        {
            await Replicas.ConvergedAsync(primary.Client, follower.Client);
        }
        await PutAsync(primary, "b.bin", RandomNumberGenerator.GetBytes(1000));
        await primary.Client.DeleteFileAsync("a.bin", CancellationToken.None);
        await PutAsync(primary, "c.bin", RandomNumberGenerator.GetBytes(1000));
        var compacted = await primary.Client.CompactAsync(1, CancellationToken.None);
        Assert.Equal(3, compacted.CompactedThrough);
        var gone = await Assert.ThrowsAsync<MediaFleet.Contracts.Client.MediaFleetException>(() => primary.Client.GetChangesAsync(1, 10, CancellationToken.None));
        Assert.Equal("changes-compacted", gone.Slug);

        await using var restarted = await TestNode.StartFollowerAsync(primary.Url, folder.Path);

        await Replicas.ConvergedAsync(primary.Client, restarted.Client);
        Replicas.SameBytes(primary.Library, folder.Path);
    }

    [Fact]
    public async Task FollowerShortOfDisk_ListsFilesMissingAndFetchesThemOnceThereIsRoom()
    {
        await using var primary = await TestNode.StartAsync();
        await PutAsync(primary, "a.bin", RandomNumberGenerator.GetBytes(10_000));
        await PutAsync(primary, "b.bin", RandomNumberGenerator.GetBytes(10_000));
        using var folder = new TempFolder();
        var full = new Dictionary<string, string?> { ["Node:ReserveBytes"] = long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        await using (var short_ = await TestNode.StartFollowerAsync(primary.Url, folder.Path, full))
        {
            await Eventually.TrueAsync(async () => (await short_.Client.GetMissingAsync(CancellationToken.None)).Count == 2, "both files listed missing");
            var missing = await short_.Client.GetMissingAsync(CancellationToken.None);
            Assert.All(missing, m => Assert.Equal("disk below ReserveBytes", m.Reason));
            Assert.Equal(0, (await short_.Client.GetStatusAsync(CancellationToken.None)).Version);

            // Read-through: a client asking the follower for a file it lacks still gets it, from upstream.
            var through = await short_.Http.GetByteArrayAsync("files/a.bin");
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(primary.Library, "a.bin")), through);
        }

        await using var roomy = await TestNode.StartFollowerAsync(primary.Url, folder.Path);

        await Replicas.ConvergedAsync(primary.Client, roomy.Client);
        Assert.Empty(await roomy.Client.GetMissingAsync(CancellationToken.None));
        Replicas.SameBytes(primary.Library, folder.Path);
    }
}

public sealed class ChainStartTests
{
    [Fact]
    public async Task ChainStartedTogether_ConvergesWithoutProvisioningTwice()
    {
        await using var primary = await TestNode.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(100_000);
            await using var stream = new MemoryStream(bytes);
            await primary.Client.PutFileAsync($"f{i}.bin", stream, bytes.Length, null, CancellationToken.None);
        }
        await using var child = await TestNode.StartFollowerAsync(primary.Url);
        await using var grandchild = await TestNode.StartFollowerAsync(child.Url);

        await Replicas.ConvergedAsync(primary.Client, grandchild.Client);
        Replicas.SameBytes(primary.Library, grandchild.Library);
    }
}
