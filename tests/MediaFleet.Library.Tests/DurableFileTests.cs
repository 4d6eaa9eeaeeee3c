using System.Security.Cryptography;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Storage;
using MediaFleet.Library.Store;
using MediaFleet.Testing;

namespace MediaFleet.Library.Tests;

/// <summary>The one install path: temp file with its digest, rename onto the target, undo, and nothing left behind.</summary>
public sealed class DurableFileTests
{
    [Fact]
    public async Task WriteThenInstall_PutsTheBytesAtTheTarget_AndLeavesNoTemp()
    {
        using var folder = new TempFolder();
        var tmp = Directory.CreateDirectory(folder.Combine("tmp")).FullName;
        var bytes = RandomNumberGenerator.GetBytes(300_000);

        using (var write = await DurableFile.WriteAsync(new MemoryStream(bytes), tmp, long.MaxValue, CancellationToken.None))
        {
            Assert.Equal(Sha256Digest.FromBytes(SHA256.HashData(bytes)), write.Sha256);
            Assert.Equal(bytes.Length, write.Length);
            var installed = DurableFile.Install(write, folder.Combine("out.bin"), replace: false);
            Assert.False(installed.KeptReplaced);
        }

        Assert.Equal(bytes, await File.ReadAllBytesAsync(folder.Combine("out.bin")));
        Assert.Equal(["out.bin"], folder.Files());
    }

    [Fact]
    public void SyncFileSystem_OfAFolder_FlushesIt_AndAFolderThatIsNotThereIsAnIOError()
    {
        // The group commit of small transfers relies on syncfs reporting failure rather than returning quietly.
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.Combine("a.bin"), [1, 2, 3]);

        Assert.Equal(OperatingSystem.IsLinux(), Durability.SyncFileSystem(folder.Path));
        var e = Assert.Throws<IOException>(() => Durability.SyncFileSystem(folder.Combine("gone")));
        Assert.Contains("gone", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallWithoutReplace_OverAnExistingFile_IsRefused_AndBothStay()
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(folder.Combine("out.bin"), "old");
        using var write = await DurableFile.WriteAsync(new MemoryStream([1, 2, 3]), folder.Path, long.MaxValue, CancellationToken.None);

        var e = Assert.Throws<InstallFailedException>(() => DurableFile.Install(write, folder.Combine("out.bin"), replace: false));

        Assert.Equal(folder.Combine("out.bin"), e.Target);
        Assert.Equal("old", await File.ReadAllTextAsync(folder.Combine("out.bin")));
        Assert.True(File.Exists(write.TempPath));
    }

    [Fact]
    public async Task ReplacingInstall_CanBeUndone_UntilTheWriteIsDisposed()
    {
        using var folder = new TempFolder();
        var target = folder.Combine("out.bin");
        await File.WriteAllTextAsync(target, "old");
        using var write = await DurableFile.WriteAsync(new MemoryStream("new"u8.ToArray()), folder.Path, long.MaxValue, CancellationToken.None);

        var installed = DurableFile.Install(write, target, replace: true);
        Assert.Equal("new", await File.ReadAllTextAsync(target));
        Assert.True(installed.CanUndo);
        installed.Undo();

        Assert.Equal("old", await File.ReadAllTextAsync(target));
        Assert.Equal("new", await File.ReadAllTextAsync(write.TempPath));
    }

    [Fact]
    public async Task BodyOverBudget_IsInsufficientStorage_AndNoTempIsLeft()
    {
        using var folder = new TempFolder();

        await Assert.ThrowsAsync<InsufficientStorageException>(() => DurableFile.WriteAsync(new MemoryStream(new byte[100_000]), folder.Path, 50_000, CancellationToken.None));

        Assert.Empty(folder.Files());
    }

    [Fact]
    public async Task SourceFailing_LeavesNoTemp()
    {
        using var folder = new TempFolder();

        await Assert.ThrowsAsync<IOException>(() => DurableFile.WriteAsync(new FailingStream(), folder.Path, long.MaxValue, CancellationToken.None));

        Assert.Empty(folder.Files());
    }

    private sealed class FailingStream : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(new IOException("connection reset by peer"));
    }
}
