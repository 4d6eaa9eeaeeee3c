using System.Security.Cryptography;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;

namespace MediaFleet.Library.Tests;

/// <summary>Start-up recovery: the states a crash can leave between temp file, rename and catalog commit.</summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task Restart_EmptiesTheTempFolder()
    {
        await using var f = new StoreFixture();
        await File.WriteAllBytesAsync(Path.Combine(f.TempFolder, "partial"), new byte[1000]);

        await f.RestartAsync();

        Assert.Empty(Directory.EnumerateFiles(f.TempFolder));
    }

    [Fact]
    public async Task Restart_RemovesTheFolderABundleLeftInTheTempFolder()
    {
        await using var f = new StoreFixture();
        var bundle = Directory.CreateDirectory(Path.Combine(f.TempFolder, "bundle-x1")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(bundle, "0"), new byte[4096]);
        await File.WriteAllBytesAsync(Path.Combine(bundle, "1"), new byte[100]);

        await f.RestartAsync();

        Assert.Empty(Directory.EnumerateFileSystemEntries(f.TempFolder));
    }

    [Fact]
    public async Task Restart_AfterRenameBeforeCommit_RecordsTheFileAsANewVersion()
    {
        await using var f = new StoreFixture();
        var bytes = RandomNumberGenerator.GetBytes(5000);
        var digest = Sha256Digest.FromBytes(SHA256.HashData(bytes));
        // The crash: the intent was recorded and the rename happened, the commit did not.
        f.Store.Catalog.AddIntent(ChangeOp.Put, "a.bin", null, digest, bytes.Length);
        await File.WriteAllBytesAsync(f.Physical("a.bin"), bytes);

        await f.RestartAsync();

        var entry = f.Store.Catalog.Find("a.bin");
        Assert.NotNull(entry);
        Assert.Equal(digest, entry.Sha256);
        Assert.Equal(new DataVersion(1), f.Store.Catalog.Version);
        Assert.Empty(f.Store.Catalog.ReadIntents());
    }

    [Fact]
    public async Task Restart_IntentWhoseRenameNeverHappened_IsDroppedWithoutAVersion()
    {
        await using var f = new StoreFixture();
        f.Store.Catalog.AddIntent(ChangeOp.Put, "a.bin", null, Sha256Digest.FromBytes(new byte[32]), 10);

        await f.RestartAsync();

        Assert.Null(f.Store.Catalog.Find("a.bin"));
        Assert.Equal(DataVersion.Zero, f.Store.Catalog.Version);
        Assert.Empty(f.Store.Catalog.ReadIntents());
    }

    [Fact]
    public async Task Restart_AfterUnlinkBeforeCommit_RecordsTheDelete()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("a.bin", [1, 2]);
        f.Store.Catalog.AddIntent(ChangeOp.Delete, "a.bin", null, null, null);
        File.Delete(f.Physical("a.bin"));

        await f.RestartAsync();

        Assert.Null(f.Store.Catalog.Find("a.bin"));
        Assert.Equal(new DataVersion(2), f.Store.Catalog.Version);
    }

    [Fact]
    public async Task Restart_AfterMoveRenameBeforeCommit_RecordsTheMove()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("a.bin", [1, 2]);
        var entry = f.Store.Catalog.Find("a.bin")!;
        f.Store.Catalog.AddIntent(ChangeOp.Move, "a.bin", "b.bin", entry.Sha256, entry.Size);
        File.Move(f.Physical("a.bin"), f.Physical("b.bin"));

        await f.RestartAsync();

        Assert.Null(f.Store.Catalog.Find("a.bin"));
        Assert.Equal(entry.Sha256, f.Store.Catalog.Find("b.bin")!.Sha256);
    }

    [Fact]
    public async Task Restart_OfAFollowerAfterRenameBeforeCommit_FinishesWithThePrimarysVersion()
    {
        await using var f = new StoreFixture();
        var bytes = RandomNumberGenerator.GetBytes(5000);
        var digest = Sha256Digest.FromBytes(SHA256.HashData(bytes));
        // A follower has seen versions 1 and 2 and was installing version 2 when it was killed.
        f.Store.Catalog.RecordSeen([Put(1, "a.bin", digest, bytes.Length), Put(2, "b.bin", digest, bytes.Length)]);
        f.Store.Catalog.AddIntent(ChangeOp.Put, "b.bin", null, digest, bytes.Length, new DataVersion(2));
        await File.WriteAllBytesAsync(f.Physical("b.bin"), bytes);

        await f.RestartAsync(primary: false);

        Assert.Equal(new DataVersion(2), f.Store.Catalog.Find("b.bin")?.Version);
        Assert.Equal(DataVersion.Zero, f.Store.Catalog.Version);
        Assert.Equal([1L, 2L], (await f.Store.Catalog.ReadChangesAsync(DataVersion.Zero, new DataVersion(10), 10, CancellationToken.None)).Select(c => c.Version.Value));
        Assert.Empty(f.Store.Catalog.ReadIntents());
    }

    [Fact]
    public async Task Restart_OfAFollowerWithAnIntentWithoutVersion_NeverInventsOne()
    {
        // Issue 10, bugs 1 and 2: recovery finished a follower's put as a primary write with data_version + 1, which its
        // changelog already held (UNIQUE constraint, on every start) or, on an empty follower, which made it skip provisioning.
        await using var f = new StoreFixture();
        var bytes = RandomNumberGenerator.GetBytes(5000);
        var digest = Sha256Digest.FromBytes(SHA256.HashData(bytes));
        f.Store.Catalog.RecordSeen([Put(1, "a.bin", digest, bytes.Length)]);
        f.Store.Catalog.AddIntent(ChangeOp.Put, "a.bin", null, digest, bytes.Length);
        await File.WriteAllBytesAsync(f.Physical("a.bin"), bytes);

        await f.RestartAsync(primary: false);

        Assert.Null(f.Store.Catalog.Find("a.bin"));
        Assert.Equal(DataVersion.Zero, f.Store.Catalog.Version);
        Assert.Single(await f.Store.Catalog.ReadChangesAsync(DataVersion.Zero, new DataVersion(10), 10, CancellationToken.None));
        Assert.Empty(f.Store.Catalog.ReadIntents());
        Assert.True(File.Exists(f.Physical("a.bin")), "the bytes stay for the follower to keep when its change is applied again");
    }

    [Fact]
    public async Task Restart_AfterAHealRenameBeforeCommit_MarksTheCopyWholeWithoutANewVersion()
    {
        await using var f = new StoreFixture();
        var bytes = RandomNumberGenerator.GetBytes(5000);
        await f.PutAsync("a.bin", bytes);
        var entry = f.Store.Catalog.Find("a.bin")!;
        f.Store.Catalog.RecordCorrupt(entry, LibraryStore.CorruptReason + ": test", f.Time.GetUtcNow());
        f.Store.Catalog.AddIntent(ChangeOp.Put, "a.bin", null, entry.Sha256, entry.Size, entry.Version);

        await f.RestartAsync();

        Assert.Equal(FileState.Ok, f.Store.Catalog.Find("a.bin")!.State);
        Assert.Equal(new DataVersion(1), f.Store.Catalog.Version);
    }

    private static ChangeEntry Put(long version, string path, Sha256Digest digest, long size) =>
        new(new DataVersion(version), ChangeOp.Put, path, null, digest, size, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task ReportUnknownFiles_ListsFilesTheCatalogDoesNotKnowAndKeepsThem()
    {
        await using var f = new StoreFixture();
        await f.PutAsync("known.bin", [1]);
        Directory.CreateDirectory(f.Physical("dir"));
        await File.WriteAllBytesAsync(f.Physical("dir/stranger.mkv"), [2]);

        var unknown = f.Store.ReportUnknownFiles(CancellationToken.None);

        Assert.Equal(["dir/stranger.mkv"], unknown);
        Assert.True(File.Exists(f.Physical("dir/stranger.mkv")));
    }
}
