using System.Runtime.Versioning;
using MediaFleet.Library.Files;
using MediaFleet.Node.Files;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>Handles of small copies kept open between reads: used only while the path names the same, unchanged file.</summary>
[SupportedOSPlatform("linux")] // statx identifies copies
public sealed class OpenCopiesTests
{
    private static readonly byte[] First = Enumerable.Range(0, 4096).Select(i => (byte)(i % 251)).ToArray();
    private static readonly byte[] Second = Enumerable.Range(0, 4096).Select(i => (byte)(i % 13)).ToArray();

    [Fact]
    public void Open_TheSameUnchangedFileAgain_LendsTheKeptHandle()
    {
        using var folder = new TempFolder();
        var file = Write(folder, "a.bin", First);
        using var copies = new OpenCopies(10);

        SafeHandleAndKept first;
        using (var lease = copies.Open(file))
        {
            first = new(lease.Copy.Handle!, lease.WasKept);
        }
        using var again = copies.Open(file);

        Assert.False(first.WasKept);
        Assert.True(again.WasKept);
        Assert.Same(first.Handle, again.Copy.Handle);
        Assert.Equal(First, Read(again));
        Assert.Equal(1, copies.Count);
    }

    [Fact]
    public void Open_AfterTheFileWasReplacedByRename_OpensTheNewFile()
    {
        using var folder = new TempFolder();
        var file = Write(folder, "a.bin", First);
        using var copies = new OpenCopies(10);
        copies.Open(file).Dispose();
        File.Move(Write(folder, "new.tmp", Second), file, overwrite: true);

        using var lease = copies.Open(file);

        Assert.False(lease.WasKept);
        Assert.Equal(Second, Read(lease));
    }

    [Fact]
    public void Open_AfterTheFileWasDeleted_IsAbsent_AndTheOldHandleIsClosed()
    {
        using var folder = new TempFolder();
        var file = Write(folder, "a.bin", First);
        using var copies = new OpenCopies(10);
        var lease = copies.Open(file);
        var handle = lease.Copy.Handle!;
        lease.Dispose();
        File.Delete(file);

        using var after = copies.Open(file);

        Assert.Equal(CopyFault.Absent, after.Copy.Fault);
        Assert.True(handle.IsClosed);
        Assert.Equal(0, copies.Count);
    }

    [Fact]
    public void Open_AfterAChangeOfPermissions_OpensAnew()
    {
        using var folder = new TempFolder();
        var file = Write(folder, "a.bin", First);
        using var copies = new OpenCopies(10);
        copies.Open(file).Dispose();
        File.SetUnixFileMode(file, UnixFileMode.UserRead);

        using var lease = copies.Open(file);

        Assert.False(lease.WasKept);
        Assert.Equal(First, Read(lease));
    }

    [Fact]
    public void Open_AfterAWriteInPlace_ReadsTheNewBytes()
    {
        using var folder = new TempFolder();
        var file = Write(folder, "a.bin", First);
        using var copies = new OpenCopies(10);
        copies.Open(file).Dispose();
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            stream.Write(Second);
        }

        using var lease = copies.Open(file);

        // The same inode: kept or opened anew (the change time may not have moved within one clock tick), the bytes are the new ones.
        Assert.Equal(Second, Read(lease));
    }

    [Fact]
    public void Open_OfMoreFilesThanTheCapacity_KeepsTheNewest_AndClosesTheOldest()
    {
        using var folder = new TempFolder();
        using var copies = new OpenCopies(2);
        var handles = new List<Microsoft.Win32.SafeHandles.SafeFileHandle>();
        foreach (var name in new[] { "a.bin", "b.bin", "c.bin" })
        {
            using var lease = copies.Open(Write(folder, name, First));
            handles.Add(lease.Copy.Handle!);
        }

        using var a = copies.Open(folder.Combine("a.bin"));
        using var c = copies.Open(folder.Combine("c.bin"));

        Assert.True(handles[0].IsClosed);
        Assert.False(a.WasKept);
        Assert.True(c.WasKept);
        Assert.Equal(2, copies.Count);
    }

    [Fact]
    public void AHandleLentOut_StaysOpenUntilItsLeaseEnds_EvenWhenTheCacheIsDisposed()
    {
        using var folder = new TempFolder();
        var file = Write(folder, "a.bin", First);
        var copies = new OpenCopies(10);
        var lease = copies.Open(file);
        var handle = lease.Copy.Handle!;

        copies.Dispose();
        var readWhileLent = Read(lease);
        lease.Dispose();

        Assert.Equal(First, readWhileLent);
        Assert.True(handle.IsClosed);
        Assert.Equal(0, copies.Count);
    }

    [Fact]
    public void Open_OfALargeFile_DoesNotKeepIt()
    {
        using var folder = new TempFolder();
        var file = Write(folder, "big.bin", new byte[OpenCopies.MaxFileBytes + 1]);
        using var copies = new OpenCopies(10);
        var lease = copies.Open(file);
        var handle = lease.Copy.Handle!;

        lease.Dispose();

        Assert.True(handle.IsClosed);
        Assert.Equal(0, copies.Count);
    }

    [Fact]
    public void Open_WithCapacityZero_KeepsNothing()
    {
        using var folder = new TempFolder();
        var file = Write(folder, "a.bin", First);
        using var copies = new OpenCopies(0);
        copies.Open(file).Dispose();

        using var lease = copies.Open(file);

        Assert.False(lease.WasKept);
        Assert.Equal(0, copies.Count);
    }

    [Fact]
    public async Task Open_OfAFifoPutWhereAKeptFileWas_IsNotARegularFile()
    {
        using var folder = new TempFolder();
        var file = Write(folder, "a.bin", First);
        using var copies = new OpenCopies(10);
        copies.Open(file).Dispose();
        await using var fifo = BrokenCopy.Fifo(file);

        using var lease = copies.Open(file);

        Assert.Equal(CopyFault.NotARegularFile, lease.Copy.Fault);
    }

    [Fact]
    public async Task Open_FromManyThreadsWhileFilesAreReplaced_NeverLendsAClosedHandle_AndClosesEveryOne()
    {
        // Few slots for many paths: handles are evicted and forgotten while other readers hold them.
        using var folder = new TempFolder();
        var files = Enumerable.Range(0, 6).Select(i => Write(folder, $"{i}.bin", First)).ToArray();
        var copies = new OpenCopies(2);
        var seen = new System.Collections.Concurrent.ConcurrentBag<Microsoft.Win32.SafeHandles.SafeFileHandle>();
        using var stop = new CancellationTokenSource();
        var replacer = Task.Run(() =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                File.Move(Write(folder, $"next{n % 2}.tmp", n % 2 == 0 ? Second : First), files[n % files.Length], overwrite: true);
            }
        });
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                using var lease = copies.Open(files[(i * 7 + r) % files.Length]);
                seen.Add(lease.Copy.Handle!);
                var bytes = Read(lease);
                Assert.True(bytes.SequenceEqual(First) || bytes.SequenceEqual(Second));
            }
        })).ToArray();

        await Task.WhenAll(readers);
        await stop.CancelAsync();
        await replacer;
        copies.Dispose();

        Assert.All(seen.Distinct(), handle => Assert.True(handle.IsClosed));
    }

    [Theory]
    [InlineData("Max open files            20000                20000                files     \n", 20000L)]
    [InlineData("Max cpu time              unlimited            unlimited            seconds   \nMax open files            1024                 524288               files     \n", 1024L)]
    [InlineData("Max open files            unlimited            unlimited            files     \n", null)]
    [InlineData("Max processes             63704                63704                processes \n", null)]
    public void OpenFileLimit_OfProcLimits_IsTheSoftLimit(string limits, long? expected)
    {
        Assert.Equal(expected, OpenCopies.OpenFileLimit(limits));
    }

    private static string Write(TempFolder folder, string name, byte[] bytes)
    {
        var file = folder.Combine(name);
        File.WriteAllBytes(file, bytes);
        return file;
    }

    private static byte[] Read(CopyLease lease)
    {
        var buffer = new byte[OpenCopies.MaxFileBytes + 1];
        var read = CopyReader.Read(lease.Copy.Handle!, buffer, 0);
        return buffer[..read];
    }

    private readonly record struct SafeHandleAndKept(Microsoft.Win32.SafeHandles.SafeFileHandle Handle, bool WasKept);
}
