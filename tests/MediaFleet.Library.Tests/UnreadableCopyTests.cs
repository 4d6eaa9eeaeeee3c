using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Scrub;
using MediaFleet.Library.Store;
using MediaFleet.Testing;

namespace MediaFleet.Library.Tests;

/// <summary>
/// Copies that cannot be read, with real faults (as root): EIO from a bind-mounted process memory file, EACCES from a
/// bind-mounted write-only sysfs attribute, a FIFO and a folder in place of the file. Each is a bad copy, never a crash
/// and never a hang.
/// </summary>
public sealed class UnreadableCopyTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("eio", 0, "unreadable: Input/output error")]
    [InlineData("eacces", 4096, "unreadable: Permission denied")]
    [InlineData("fifo", 0, "not a regular file (a FIFO)")]
    [InlineData("folder", 0, "not a regular file (a directory)")]
    public async Task CheckAsync_UnreadableCopy_IsBad_MarkedCorrupt_AndListedMissingWithTheReason(string fault, int size, string finding)
    {
        await using var store = new StoreFixture();
        await store.PutAsync("m/a.bin", new byte[size]);
        await using var broken = await BreakAsync(fault, store.Physical("m/a.bin"));
        var scrubber = new Scrubber(store.Store, store.Time);

        var result = await Task.Run(() => scrubber.CheckAsync(store.Store.Catalog.Find("m/a.bin")!, null, CancellationToken.None)).WaitAsync(Hang);

        Assert.Equal((CheckOutcome.Bad, finding), (result.Outcome, result.Detail));
        Assert.Equal(FileState.Corrupt, store.Store.Catalog.Find("m/a.bin")!.State);
        Assert.StartsWith("corrupt: " + finding, store.Store.Catalog.FindMissing("m/a.bin")!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_ABadCopyThatCannotBeMovedAside_StaysInPlace_StillCorruptAndListedMissing()
    {
        await using var store = new StoreFixture();
        await store.PutAsync("a.bin", [1, 2, 3]);
        // A mount point cannot be renamed (EBUSY): quarantine must leave it where it is.
        await using var broken = await BrokenCopy.InputOutputErrorAsync(store.Physical("a.bin"));
        var scrubber = new Scrubber(store.Store, store.Time);

        var result = await scrubber.CheckAsync(store.Store.Catalog.Find("a.bin")!, null, CancellationToken.None);

        Assert.Equal((CheckOutcome.Bad, "0 bytes on disk, the catalog says 3"), (result.Outcome, result.Detail));
        Assert.Equal(FileState.Corrupt, store.Store.Catalog.Find("a.bin")!.State);
        var reason = store.Store.Catalog.FindMissing("a.bin")!.Reason;
        Assert.Contains("left in place: it could not be moved aside (Device or resource busy)", reason, StringComparison.Ordinal);
        Assert.True(File.Exists(store.Physical("a.bin")));
    }

    [Fact]
    public async Task HealAsync_OverACopyThatCannotBeReplaced_SaysWhy_AndLeavesItCorrupt()
    {
        await using var store = new StoreFixture();
        byte[] good = [1, 2, 3];
        await store.PutAsync("a.bin", good);
        await using var broken = await BrokenCopy.InputOutputErrorAsync(store.Physical("a.bin"));
        await new Scrubber(store.Store, store.Time).CheckAsync(store.Store.Catalog.Find("a.bin")!, null, CancellationToken.None);
        var sha = Sha256Digest.FromBytes(System.Security.Cryptography.SHA256.HashData(good));
        var partial = store.Store.PartialPath(sha, LibraryPath.Parse("a.bin"));
        await File.WriteAllBytesAsync(partial, good);

        var healed = await store.Store.HealAsync(LibraryPath.Parse("a.bin"), partial, sha, CancellationToken.None);

        Assert.Equal(HealOutcome.Blocked, healed.Outcome);
        Assert.Contains("Device or resource busy", healed.Detail, StringComparison.Ordinal);
        Assert.Equal(FileState.Corrupt, store.Store.Catalog.Find("a.bin")!.State);
        Assert.Empty(store.Store.Catalog.ReadIntents());
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task HealAsync_OverAFolderMovedAside_InstallsTheGoodBytes()
    {
        await using var store = new StoreFixture();
        byte[] good = [1, 2, 3];
        await store.PutAsync("a.bin", good);
        File.Delete(store.Physical("a.bin"));
        Directory.CreateDirectory(store.Physical("a.bin"));
        await new Scrubber(store.Store, store.Time).CheckAsync(store.Store.Catalog.Find("a.bin")!, null, CancellationToken.None);
        var sha = Sha256Digest.FromBytes(System.Security.Cryptography.SHA256.HashData(good));
        var partial = store.Store.PartialPath(sha, LibraryPath.Parse("a.bin"));
        await File.WriteAllBytesAsync(partial, good);

        var healed = await store.Store.HealAsync(LibraryPath.Parse("a.bin"), partial, sha, CancellationToken.None);

        Assert.Equal(HealOutcome.Healed, healed.Outcome);
        Assert.Equal(good, await File.ReadAllBytesAsync(store.Physical("a.bin")));
        Assert.Single(Directory.GetDirectories(Path.Combine(store.Folder, ".mfleet", "quarantine"), "a.bin", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task OfFileAsync_OnAFifo_FailsAtOnce_InsteadOfWaitingForAWriter()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("pipe");
        await File.WriteAllBytesAsync(file, []);
        await using var broken = BrokenCopy.Fifo(file);

        var error = await Assert.ThrowsAsync<IOException>(() => Task.Run(() => Sha256Digest.OfFileAsync(file, CancellationToken.None)).WaitAsync(Hang));

        Assert.Contains("not a regular file (a FIFO)", error.Message, StringComparison.Ordinal);
    }

    internal static async Task<BrokenCopy> BreakAsync(string fault, string file) => fault switch
    {
        "eio" => await BrokenCopy.InputOutputErrorAsync(file),
        "eacces" => await BrokenCopy.PermissionDeniedAsync(file),
        "fifo" => BrokenCopy.Fifo(file),
        _ => BrokenCopy.Folder(file),
    };
}
