using System.Security.Cryptography;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Testing;

namespace MediaFleet.Library.Tests;

public sealed class LibraryStoreTests
{
    private static Sha256Digest DigestOf(byte[] bytes) => Sha256Digest.FromBytes(SHA256.HashData(bytes));

    [Fact]
    public async Task PutAsync_NewFile_InstallsItWithDigestVersionAndChangelogEntry()
    {
        await using var f = new StoreFixture();
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);

        var result = await f.PutAsync("Movies/a.mkv", bytes, DigestOf(bytes));

        Assert.Equal(WriteStatus.Created, result.Status);
        Assert.Equal(new DataVersion(1), result.Entry!.Version);
        Assert.Equal(DigestOf(bytes), result.Entry.Sha256);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(f.Physical("Movies/a.mkv")));
        var changes = await f.Store.Catalog.ReadChangesAsync(DataVersion.Zero, 10, CancellationToken.None);
        var change = Assert.Single(changes);
        Assert.Equal((ChangeOp.Put, "Movies/a.mkv", (long?)bytes.Length, f.Time.GetUtcNow()), (change.Op, change.Path, change.Size, change.At));
        Assert.Empty(Directory.EnumerateFiles(f.TempFolder));
    }

    [Fact]
    public async Task PutAsync_IdenticalBytes_MakesNoNewVersion()
    {
        await using var f = new StoreFixture();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        await f.PutAsync("a.bin", bytes);

        var again = await f.PutAsync("a.bin", bytes);

        Assert.Equal(WriteStatus.Unchanged, again.Status);
        Assert.Equal(new DataVersion(1), f.Store.Catalog.Version);
        Assert.Single(await f.Store.Catalog.ReadChangesAsync(DataVersion.Zero, 10, CancellationToken.None));
    }

    [Fact]
    public async Task PutAsync_NewBytes_ReplacesAndBumpsVersion()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("a.bin", [1, 2, 3]);

        var result = await f.PutAsync("a.bin", [4, 5]);

        Assert.Equal(WriteStatus.Replaced, result.Status);
        Assert.Equal(new DataVersion(2), f.Store.Catalog.Version);
        Assert.Equal([4, 5], await File.ReadAllBytesAsync(f.Physical("a.bin")));
        Assert.Equal(2, f.Store.Catalog.TotalBytes);
    }

    [Fact]
    public async Task PutAsync_DigestMismatch_LeavesNothingVisible()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("a.bin", [1, 2, 3]);

        var result = await f.PutAsync("a.bin", [9, 9, 9], DigestOf([1, 1, 1]));

        Assert.Equal(WriteStatus.DigestMismatch, result.Status);
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(f.Physical("a.bin")));
        Assert.Equal(new DataVersion(1), f.Store.Catalog.Version);
        Assert.Empty(Directory.EnumerateFiles(f.TempFolder));
    }

    [Fact]
    public async Task PutAsync_DigestAfterTheBody_IsAskedForOnceTheBodyIsReadAndChecked()
    {
        await using var f = new StoreFixture();
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var body = new MemoryStream(bytes);
        long? positionWhenAsked = null;
        var expected = new ExpectedDigest(null, () =>
        {
            positionWhenAsked = body.Position;
            return new LateDigest(DigestOf(bytes));
        });

        var result = await f.Store.PutAsync(LibraryPath.Parse("a.bin"), body, expected, null, WriteCondition.None, CancellationToken.None);

        Assert.Equal(WriteStatus.Created, result.Status);
        Assert.Equal(bytes.Length, positionWhenAsked);
    }

    public static TheoryData<bool, LateDigest, WriteStatus> LateDigests => new()
    {
        { true, new LateDigest(DigestOf([1, 1, 1])), WriteStatus.DigestMismatch },
        { true, LateDigest.Refused("the trailer did not come"), WriteStatus.DigestMissing },
        { false, new LateDigest(DigestOf([9, 9, 9])), WriteStatus.DigestMismatch },
    };

    [Theory]
    [MemberData(nameof(LateDigests))]
    public async Task PutAsync_DigestAfterTheBodyWrongOrMissing_LeavesTheOldFile(bool headerRight, LateDigest late, WriteStatus status)
    {
        await using var f = new StoreFixture();
        await f.PutAsync("a.bin", [1, 2, 3]);
        var expected = new ExpectedDigest(headerRight ? DigestOf([9, 9, 9]) : DigestOf([1, 1, 1]), () => late);

        var result = await f.Store.PutAsync(LibraryPath.Parse("a.bin"), new MemoryStream([9, 9, 9]), expected, 3, WriteCondition.None, CancellationToken.None);

        Assert.Equal(status, result.Status);
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(f.Physical("a.bin")));
        Assert.Equal(new DataVersion(1), f.Store.Catalog.Version);
        Assert.Empty(Directory.EnumerateFiles(f.TempFolder));
    }

    [Fact]
    public async Task PutAsync_BodyShorterThanAnnounced_IsTruncatedAndInstallsNothing()
    {
        await using var f = new StoreFixture();

        var result = await f.PutAsync("a.bin", new byte[100], length: 1000);

        Assert.Equal(WriteStatus.Truncated, result.Status);
        Assert.False(File.Exists(f.Physical("a.bin")));
        Assert.Equal(DataVersion.Zero, f.Store.Catalog.Version);
        Assert.Empty(Directory.EnumerateFiles(f.TempFolder));
    }

    [Fact]
    public async Task PutAsync_ReserveLargerThanFreeSpace_RefusesBeforeWriting()
    {
        await using var f = new StoreFixture(reserveBytes: long.MaxValue / 2);

        var result = await f.PutAsync("a.bin", new byte[10]);

        Assert.Equal(WriteStatus.InsufficientStorage, result.Status);
        Assert.False(File.Exists(f.Physical("a.bin")));
        Assert.Empty(Directory.EnumerateFiles(f.TempFolder));
    }

    [Fact]
    public async Task PutAsync_UnknownLengthPassingTheReserveMidWrite_StopsAndCleansUp()
    {
        await using var probe = new StoreFixture();
        // Leave room for 4 MiB only; then stream 32 MiB without announcing a length.
        await using var f = new StoreFixture(reserveBytes: probe.Store.FreeBytes - (4 << 20));

        var result = await f.Store.PutAsync(LibraryPath.Parse("big.bin"), new MemoryStream(new byte[32 << 20]), null, null, WriteCondition.None, CancellationToken.None);

        Assert.Equal(WriteStatus.InsufficientStorage, result.Status);
        Assert.False(File.Exists(f.Physical("big.bin")));
        Assert.Empty(Directory.EnumerateFiles(f.TempFolder));
    }

    [Fact]
    public async Task PutAsync_IfNoneMatchStarOnExistingFile_FailsThePrecondition()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("a.bin", [1]);

        var result = await f.Store.PutAsync(LibraryPath.Parse("a.bin"), new MemoryStream([2]), null, 1, new WriteCondition(true, null), CancellationToken.None);

        Assert.Equal(WriteStatus.PreconditionFailed, result.Status);
        Assert.Equal([1], await File.ReadAllBytesAsync(f.Physical("a.bin")));
    }

    [Fact]
    public async Task PutAsync_FileWhereAFolderIsNeeded_IsInvalidPath()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("a", [1]);

        var result = await f.PutAsync("a/b", [2]);

        Assert.Equal(WriteStatus.InvalidPath, result.Status);
        Assert.Empty(Directory.EnumerateFiles(f.TempFolder));
    }

    [Fact]
    public async Task DeleteAsync_RemovesFileAndEmptyFoldersAsANewVersion()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("x/y/a.bin", [1]);

        var result = await f.Store.DeleteAsync(LibraryPath.Parse("x/y/a.bin"), WriteCondition.None, CancellationToken.None);

        Assert.Equal(WriteStatus.Deleted, result.Status);
        Assert.Equal(new DataVersion(2), result.Version);
        Assert.False(Directory.Exists(f.Physical("x")));
        Assert.Null(f.Store.Catalog.Find("x/y/a.bin"));
        Assert.Equal(WriteStatus.NotFound, (await f.Store.DeleteAsync(LibraryPath.Parse("x/y/a.bin"), WriteCondition.None, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task MoveAsync_RenamesInPlaceKeepingTheDigest()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("a/old.mkv", [1, 2, 3]);

        var result = await f.Store.MoveAsync(LibraryPath.Parse("a/old.mkv"), LibraryPath.Parse("b/new.mkv"), CancellationToken.None);

        Assert.Equal(WriteStatus.Moved, result.Status);
        Assert.False(File.Exists(f.Physical("a/old.mkv")));
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(f.Physical("b/new.mkv")));
        var moved = f.Store.Catalog.Find("b/new.mkv")!;
        Assert.Equal((DigestOf([1, 2, 3]), new DataVersion(2)), (moved.Sha256, moved.Version));
        var change = (await f.Store.Catalog.ReadChangesAsync(new DataVersion(1), 10, CancellationToken.None)).Single();
        Assert.Equal((ChangeOp.Move, "a/old.mkv", "b/new.mkv"), (change.Op, change.Path, change.To));
    }

    [Fact]
    public async Task Catalog_AfterRestart_HoldsEveryFileAndTheVersion()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("a.bin", [1]);
        await f.PutAsync("b.bin", [2, 2]);
        await f.Store.DeleteAsync(LibraryPath.Parse("a.bin"), WriteCondition.None, CancellationToken.None);

        await f.RestartAsync();

        Assert.Equal(new DataVersion(3), f.Store.Catalog.Version);
        Assert.Null(f.Store.Catalog.Find("a.bin"));
        Assert.Equal(2, f.Store.Catalog.Find("b.bin")!.Size);
        Assert.Equal(1, f.Store.Catalog.FileCount);
    }

    [Fact]
    public async Task WaitForChangeAsync_ReturnsWhenAPutArrives()
    {
        await using var f = new StoreFixture();
        var waiting = f.Store.Catalog.WaitForChangeAsync(DataVersion.Zero, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        await f.PutAsync("a.bin", [1]);
        await waiting;

        Assert.Equal(new DataVersion(1), f.Store.Catalog.Version);
    }
}

/// <summary>
/// Issue 12: a follower's small transfers leave their bytes in the page cache and their group flushes them: a few with
/// an fsync each, many with one syncfs (which also waits for every other dirty page on the disk, so a restarted
/// follower applying ten changes does not wait for a big copy's writeback).
/// </summary>
public sealed class GroupFlushTests
{
    private static async Task<(LibraryPath Path, string Partial, Sha256Digest Sha256, byte[] Bytes)> PartialAsync(StoreFixture f, string name)
    {
        var bytes = RandomNumberGenerator.GetBytes(4096);
        var partial = Path.Combine(f.TempFolder, name.Replace('/', '-') + ".partial");
        await File.WriteAllBytesAsync(partial, bytes);
        return (LibraryPath.Parse(name), partial, Sha256Digest.FromBytes(SHA256.HashData(bytes)), bytes);
    }

    /// <summary>Installs the partials as one group: queued while the test holds the writer lock, committed when it lets go.</summary>
    private static async Task<WriteResult[]> InstallAsOneGroupAsync(StoreFixture f, List<(LibraryPath Path, string Partial, Sha256Digest Sha256, byte[] Bytes)> partials)
    {
        await f.Store.CommitLock.WaitAsync();
        Task<WriteResult[]> all;
        try
        {
            all = Task.WhenAll(partials.Select((p, i) =>
                Task.Run(() => f.Store.InstallVerifiedAsync(p.Path, p.Partial, p.Sha256, new DataVersion(i + 1), bytesFlushed: false, CancellationToken.None))));
            while (f.Store.GroupedCount < partials.Count)
            {
                await Task.Delay(10);
            }
        }
        finally
        {
            f.Store.CommitLock.Release();
        }
        var results = await all;
        foreach (var p in partials)
        {
            Assert.Equal(p.Bytes, await File.ReadAllBytesAsync(f.Physical(p.Path.Value)));
        }
        return results;
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(LibraryStore.SyncFileSystemFrom - 1, 0)]
    [InlineData(LibraryStore.SyncFileSystemFrom, 1)]
    [InlineData(64, 1)]
    public async Task AGroupOfUnflushedInstalls_IsFsyncedFileByFile_OnlyWhenSmall(int files, long syncs)
    {
        await using var f = new StoreFixture();
        var partials = new List<(LibraryPath Path, string Partial, Sha256Digest Sha256, byte[] Bytes)>();
        for (var i = 1; i <= files; i++)
        {
            partials.Add(await PartialAsync(f, $"group/{i}.bin"));
        }

        var results = await InstallAsOneGroupAsync(f, partials);

        Assert.All(results, r => Assert.Equal(WriteStatus.Created, r.Status));
        Assert.Equal(syncs, f.Store.FileSystemSyncs);
    }

    [Fact]
    public async Task FlushedThenInstalledTogether_ABundlesFilesAreOneGroup_WithOneSyncfs()
    {
        await using var f = new StoreFixture();
        var bundle = Directory.CreateDirectory(Path.Combine(f.TempFolder, "bundle-test")).FullName;
        var files = new List<(VerifiedTransfer Transfer, byte[] Bytes)>();
        for (var i = 0; i < 64; i++)
        {
            var bytes = RandomNumberGenerator.GetBytes(4096);
            var partial = Path.Combine(bundle, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await File.WriteAllBytesAsync(partial, bytes);
            files.Add((new VerifiedTransfer(LibraryPath.Parse($"Art/{i % 4}/{i}.jpg"), partial, Sha256Digest.FromBytes(SHA256.HashData(bytes)), bytes.Length, new DataVersion(i + 1)), bytes));
        }

        f.Store.FlushTransfers([.. files.Select(x => x.Transfer)]);
        var results = await f.Store.InstallVerifiedManyAsync([.. files.Select(x => x.Transfer)], CancellationToken.None);

        Assert.Equal(64, results.Count);
        foreach (var (result, (transfer, bytes)) in results.Zip(files))
        {
            Assert.Equal(WriteStatus.Created, (await result).Status);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(f.Physical(transfer.Path.Value)));
            Assert.Equal(transfer.Sha256, f.Store.Catalog.Find(transfer.Path.Value)?.Sha256);
        }
        Assert.Equal(1, f.Store.FileSystemSyncs);
        Assert.Empty(Directory.EnumerateFiles(bundle));
    }

    [Theory]
    [InlineData(LibraryStore.SyncFileSystemFrom - 1, 0)]
    [InlineData(LibraryStore.SyncFileSystemFrom, 1)]
    public async Task FlushTransfers_BeforeTheInstall_LeavesTheGroupNothingToFlush(int files, long syncs)
    {
        await using var f = new StoreFixture();
        var transfers = new List<VerifiedTransfer>();
        for (var i = 1; i <= files; i++)
        {
            var p = await PartialAsync(f, $"flushed/{i}.bin");
            transfers.Add(new VerifiedTransfer(p.Path, p.Partial, p.Sha256, 4096, new DataVersion(i)));
        }

        f.Store.FlushTransfers(transfers);
        var results = await f.Store.InstallVerifiedManyAsync(transfers, CancellationToken.None);

        foreach (var result in results)
        {
            Assert.Equal(WriteStatus.Created, (await result).Status);
        }
        Assert.Equal(syncs, f.Store.FileSystemSyncs);
    }

    [Fact]
    public async Task AGroupsInstalls_DropTheStalePartialsOfTheirPaths_AndNoOthers()
    {
        await using var f = new StoreFixture();
        var installed = await PartialAsync(f, "a/1.bin");
        var other = LibraryPath.Parse("a/2.bin");
        var stale = f.Store.PartialPath(Sha256Digest.FromBytes(new byte[32]), installed.Path);
        var kept = f.Store.PartialPath(Sha256Digest.FromBytes(new byte[32]), other);
        await File.WriteAllBytesAsync(stale, new byte[10]);
        await File.WriteAllBytesAsync(kept, new byte[10]);

        VerifiedTransfer[] transfer = [new VerifiedTransfer(installed.Path, installed.Partial, installed.Sha256, 4096, new DataVersion(1))];
        f.Store.FlushTransfers(transfer);
        var results = await f.Store.InstallVerifiedManyAsync(transfer, CancellationToken.None);

        Assert.Equal(WriteStatus.Created, (await results[0]).Status);
        Assert.False(File.Exists(stale), "the partial of an older version of the installed path is dropped");
        Assert.True(File.Exists(kept), "another path's partial stays for its resume");
    }

    [Fact]
    public async Task AGroupsInstalls_EachMeetTheSymlinkRule_AndNoneGoesWhereAFolderIs_WhileTheirNeighboursInstall()
    {
        await using var f = new StoreFixture();
        using var outside = new TempFolder();
        Directory.CreateDirectory(f.Physical("a/taken.jpg"));
        File.CreateSymbolicLink(f.Physical("a/leak.jpg"), Path.Combine(outside.Path, "leak.jpg"));
        Directory.CreateSymbolicLink(f.Physical("escape"), outside.Path);
        Directory.CreateDirectory(f.Physical("real"));
        File.CreateSymbolicLink(f.Physical("a/inside.jpg"), f.Physical("real/inside.jpg"));
        string[] paths = ["a/1.jpg", "a/taken.jpg", "a/leak.jpg", "escape/x.jpg", "a/inside.jpg", "a/2.jpg", "escape/y.jpg"];
        var transfers = new List<VerifiedTransfer>();
        for (var i = 0; i < paths.Length; i++)
        {
            var p = await PartialAsync(f, paths[i]);
            transfers.Add(new VerifiedTransfer(p.Path, p.Partial, p.Sha256, 4096, new DataVersion(i + 1)));
        }

        f.Store.FlushTransfers(transfers);
        var results = await f.Store.InstallVerifiedManyAsync(transfers, CancellationToken.None);

        var statuses = new Dictionary<string, WriteStatus>();
        for (var i = 0; i < paths.Length; i++)
        {
            statuses[paths[i]] = (await results[i]).Status;
        }
        Assert.Equal(WriteStatus.Created, statuses["a/1.jpg"]);
        Assert.Equal(WriteStatus.Created, statuses["a/2.jpg"]);
        // A symlink that stays inside the library is followed: the rename replaces the link itself.
        Assert.Equal(WriteStatus.Created, statuses["a/inside.jpg"]);
        Assert.Equal(WriteStatus.InvalidPath, statuses["a/taken.jpg"]);
        Assert.Equal(WriteStatus.InvalidPath, statuses["a/leak.jpg"]);
        Assert.Equal(WriteStatus.InvalidPath, statuses["escape/x.jpg"]);
        Assert.Equal(WriteStatus.InvalidPath, statuses["escape/y.jpg"]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
        Assert.True(Directory.Exists(f.Physical("a/taken.jpg")));
        Assert.Null(f.Store.Catalog.Find("a/leak.jpg"));
    }

    [Fact]
    public async Task ApplyMove_OntoAPathWithAPartialOfAnOlderVersion_DropsThatPartial_AndKeepsOthers()
    {
        await using var f = new StoreFixture();
        var bytes = RandomNumberGenerator.GetBytes(100);
        var digest = Sha256Digest.FromBytes(SHA256.HashData(bytes));
        await f.PutAsync("a.bin", bytes);
        // A transfer of an older version of b.bin broke off halfway and kept its partial for a resume.
        var stale = f.Store.PartialPath(Sha256Digest.FromBytes(new byte[32]), LibraryPath.Parse("b.bin"));
        var other = f.Store.PartialPath(Sha256Digest.FromBytes(new byte[32]), LibraryPath.Parse("c.bin"));
        await File.WriteAllBytesAsync(stale, new byte[10]);
        await File.WriteAllBytesAsync(other, new byte[10]);

        var moved = await f.Store.ApplyMoveAsync(LibraryPath.Parse("a.bin"), LibraryPath.Parse("b.bin"), digest, new DataVersion(2), CancellationToken.None);

        Assert.True(moved);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(f.Physical("b.bin")));
        Assert.False(File.Exists(stale), "the partial of the path the move settled is dropped");
        Assert.True(File.Exists(other), "another path's partial stays for its resume");
    }
}
