using System.Security.Cryptography;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;

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
