using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>
/// Libraries on a small tmpfs that really fills up (ENOSPC from the kernel, not a simulated check): writes answer
/// 507 and leave nothing, followers list what does not fit and converge once space frees, SQLite's catalog on the
/// full disk is neither corrupted nor the end of the node.
/// </summary>
[Collection(FullDiskCollection.Name)]
public sealed class FullDiskTests
{
    private const int MiB = 1 << 20;

    [Fact]
    public async Task Primary_DiskFillsMidUpload_Answers507AndLeavesNoTempFileRowOrVersion()
    {
        using var disk = new TmpfsMount(16 * MiB);
        var library = Directory.CreateDirectory(disk.Combine("lib")).FullName;
        await using var primary = await TestNode.StartAsync(library);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Chunked (no Content-Length), so nothing refuses it up front: the body starts to land, then the disk fills
        // from another writer and the rest of the body meets ENOSPC.
        using var content = new PausingContent(RandomNumberGenerator.GetBytes(12 * MiB), 3 * MiB, resume.Task);
        var upload = primary.Http.PutAsync(NodeClient.FileUri("Movies/big.mkv"), content);
        var temp = Path.Combine(library, ".mfleet", "tmp");
        await Eventually.TrueAsync(() => Directory.GetFiles(temp).Any(f => new FileInfo(f).Length >= MiB), "the upload's first MiB in .mfleet/tmp");
        disk.Fill(disk.Combine("filler"));
        resume.SetResult();
        using var response = await upload;

        await AssertInsufficientStorageAsync(response);
        Assert.Empty(Directory.GetFiles(temp));
        Assert.False(File.Exists(Path.Combine(library, "Movies", "big.mkv")));
        var status = await primary.Client.GetStatusAsync(CancellationToken.None);
        Assert.Equal((0L, 0), (status.Version, status.Files));
        Assert.Empty(await Replicas.ManifestAsync(primary.Client));

        File.Delete(disk.Combine("filler"));
        await PutAsync(primary, "Movies/small.mkv", RandomNumberGenerator.GetBytes(1000));
        Assert.Equal(1L, (await primary.Client.GetStatusAsync(CancellationToken.None)).Version);
    }

    [Fact]
    public async Task Primary_CatalogOnAFullDisk_Answers507StaysUpAndKeepsAnIntactCatalog()
    {
        using var disk = new TmpfsMount(8 * MiB);
        var library = Directory.CreateDirectory(disk.Combine("lib")).FullName;
        var before = RandomNumberGenerator.GetBytes(100_000);
        var primary = await TestNode.StartAsync(library);
        try
        {
            await PutAsync(primary, "kept.bin", before);
            disk.Fill(disk.Combine("filler"));

            // An empty body needs no data block: what meets the full disk is SQLite's write of the catalog.
            using (var empty = await primary.Http.PutAsync(NodeClient.FileUri("empty.bin"), new ByteArrayContent([])))
            {
                await AssertInsufficientStorageAsync(empty);
            }
            using (var delete = await primary.Http.DeleteAsync(NodeClient.FileUri("kept.bin")))
            {
                await AssertInsufficientStorageAsync(delete);
            }
            var status = await primary.Client.GetStatusAsync(CancellationToken.None);
            Assert.Equal((1L, 1), (status.Version, status.Files));
            Assert.Empty(Directory.GetFiles(Path.Combine(library, ".mfleet", "tmp")));
            Assert.False(File.Exists(Path.Combine(library, "empty.bin")));
            Assert.Equal(before, await primary.Http.GetByteArrayAsync(NodeClient.FileUri("kept.bin")));

            File.Delete(disk.Combine("filler"));
            await PutAsync(primary, "after.bin", [1, 2, 3]);
            Assert.Equal(2L, (await primary.Client.GetStatusAsync(CancellationToken.None)).Version);
        }
        finally
        {
            await primary.DisposeAsync();
        }

        // A restart reads the same catalog: nothing half-written survived the full disk.
        await using var restarted = await TestNode.StartAsync(library);
        var files = (await Replicas.ManifestAsync(restarted.Client)).Select(f => (f.Path, f.Version)).ToList();
        Assert.Equal([("after.bin", 2L), ("kept.bin", 1L)], files);
        Assert.Equal(2L, (await restarted.Client.GetStatusAsync(CancellationToken.None)).Version);
    }

    [Fact]
    public async Task Follower_DiskFillsDuringATransfer_ListsItMissingStaysBelowItAndConvergesOnceSpaceFrees()
    {
        await using var primary = await TestNode.StartAsync();
        await PutAsync(primary, "a.bin", RandomNumberGenerator.GetBytes(100_000));
        using var disk = new TmpfsMount(12 * MiB);
        var library = Directory.CreateDirectory(disk.Combine("lib")).FullName;
        // The gate stops the transfer part-way, so the disk can fill while the follower is writing the file.
        await using var gate = new GatedProxy(new Uri(primary.Url).Port, 3 * MiB);
        await using var follower = await TestNode.StartFollowerAsync(gate.Url, library, FollowerSettings);
        await Replicas.ConvergedAsync(primary.Client, follower.Client);

        await PutAsync(primary, "big.bin", RandomNumberGenerator.GetBytes(8 * MiB));
        var temp = Path.Combine(library, ".mfleet", "tmp");
        await Eventually.TrueAsync(() => Directory.GetFiles(temp, "partial-*").Any(f => new FileInfo(f).Length >= MiB), "the transfer's first MiB on the follower");
        disk.Fill(disk.Combine("filler"));
        await PutAsync(primary, "later.bin", RandomNumberGenerator.GetBytes(50_000));
        gate.Open();

        // Later tries find the disk below the reserve and say so; the first one met the kernel's ENOSPC.
        await Eventually.TrueAsync(async () => (await follower.Client.GetMissingAsync(CancellationToken.None))
            .Any(m => m.Path == "big.bin" && m.Version == 2 && m.Reason.Contains("No space left on device", StringComparison.Ordinal)), "big.bin missing for want of space");
        // The full disk also refuses to record later changes as seen, so seen_version may stay at 2 until space frees.
        var status = await follower.Client.GetStatusAsync(CancellationToken.None);
        Assert.Equal(1L, status.Version);
        Assert.True(status.SeenVersion >= 2, $"seen_version {status.SeenVersion}");

        File.Delete(disk.Combine("filler"));
        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        Replicas.SameBytes(primary.Library, library);
        Assert.Empty(await follower.Client.GetMissingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Follower_ParallelTransfersOverfillItsDisk_ListsMissingAndConvergesAfterARemountBigger()
    {
        await using var primary = await TestNode.StartAsync();
        for (var i = 0; i < 4; i++)
        {
            await PutAsync(primary, $"lib/{i}.bin", RandomNumberGenerator.GetBytes(3 * MiB));
        }
        using var disk = new TmpfsMount(8 * MiB);
        var library = Directory.CreateDirectory(disk.Combine("lib")).FullName;

        // Each of the four parallel transfers fits alone, so each starts; together they meet ENOSPC.
        await using var follower = await TestNode.StartFollowerAsync(primary.Url, library, FollowerSettings);
        await Eventually.TrueAsync(async () => (await follower.Client.GetMissingAsync(CancellationToken.None)).Count > 0, "a missing entry on the follower");
        var missing = await follower.Client.GetMissingAsync(CancellationToken.None);
        Assert.All(missing, m => Assert.False(string.IsNullOrWhiteSpace(m.Reason)));
        Assert.True((await follower.Client.GetStatusAsync(CancellationToken.None)).Version < missing.Min(m => m.Version));

        disk.Resize(32 * MiB);
        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        Replicas.SameBytes(primary.Library, library);
        Assert.Empty(await follower.Client.GetMissingAsync(CancellationToken.None));
    }

    /// <summary>A small reserve (not 0) so the checks before a transfer pass and the kernel is what says no.</summary>
    private static Dictionary<string, string?> FollowerSettings => new()
    {
        ["Node:ReserveBytes"] = "65536",
        ["Node:RetryMaxSeconds"] = "1",
    };

    private static async Task PutAsync(TestNode node, string path, byte[] bytes)
    {
        await using var stream = new MemoryStream(bytes);
        await node.Client.PutFileAsync(path, stream, bytes.Length, null, CancellationToken.None);
    }

    private static async Task AssertInsufficientStorageAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.InsufficientStorage, $"expected 507, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ProblemTypes.Uri(ProblemTypes.InsufficientStorage), JsonDocument.Parse(text).RootElement.GetProperty("type").GetString());
    }

    /// <summary>A body of unknown length (sent chunked) that stops after <paramref name="pauseAt"/> bytes until <paramref name="resume"/>.</summary>
    private sealed class PausingContent(byte[] bytes, int pauseAt, Task resume) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, pauseAt));
            await stream.FlushAsync();
            await resume;
            await stream.WriteAsync(bytes.AsMemory(pauseAt));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>Tests that mount and fill a tmpfs: one at a time, their transfers are large for a shared machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FullDiskCollection
{
    public const string Name = "full disks";
}
