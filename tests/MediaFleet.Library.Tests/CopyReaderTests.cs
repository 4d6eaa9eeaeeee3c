using MediaFleet.Library.Files;
using MediaFleet.Testing;

namespace MediaFleet.Library.Tests;

/// <summary>Reads of an opened copy at an offset, as the node's small-file GET does them.</summary>
public sealed class CopyReaderTests
{
    private static readonly byte[] Content = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 13 % 251)).ToArray();

    [Theory]
    [InlineData(0, 100, 100)]
    [InlineData(5000, 100, 100)]
    [InlineData(9990, 100, 10)]
    [InlineData(10_000, 100, 0)]
    [InlineData(20_000, 100, 0)]
    [InlineData(0, 10_000, 10_000)]
    public void Read_AtAnOffset_GivesTheBytesThere_AndZeroPastTheEnd(long offset, int size, int expected)
    {
        using var folder = new TempFolder();
        var file = folder.Combine("a.bin");
        File.WriteAllBytes(file, Content);
        var opened = CopyReader.Open(file);
        using var handle = opened.Handle!;
        var buffer = new byte[size];

        var read = CopyReader.Read(handle, buffer, offset);

        Assert.Equal(expected, read);
        Assert.Equal(Content.AsSpan((int)Math.Min(offset, Content.Length), expected).ToArray(), buffer[..read]);
    }

    [Fact]
    public async Task Read_OfAHandleThatCannotSeek_IsAReadFault()
    {
        // Not a copy Open hands out (it refuses FIFOs), but a pipe handle must fail as a read fault, not a crash.
        using var folder = new TempFolder();
        var file = folder.Combine("pipe");
        await File.WriteAllBytesAsync(file, []);
        await using var fifo = BrokenCopy.Fifo(file);
        // Read and write: the open does not wait for a writer.
        using var pipe = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite);

        var error = Assert.ThrowsAny<Exception>(() => CopyReader.Read(pipe, new byte[100], 0));

        Assert.True(CopyReader.IsReadFault(error), error.ToString());
        Assert.Equal("unreadable: Illegal seek", CopyReader.Unreadable(error));
    }

    [Fact]
    public async Task Read_ThatFailsWithEio_ThrowsAReadFault_ThatSaysSo()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("a.bin");
        await File.WriteAllBytesAsync(file, Content);
        await using var broken = await BrokenCopy.InputOutputErrorAsync(file);
        var opened = CopyReader.Open(file);
        using var handle = opened.Handle!;

        var error = Assert.ThrowsAny<Exception>(() => CopyReader.Read(handle, new byte[4096], 0));

        Assert.True(CopyReader.IsReadFault(error), error.ToString());
        Assert.Equal("unreadable: Input/output error", CopyReader.Unreadable(error));
    }

    [Fact]
    public void Read_OfAClosedHandle_Throws()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("a.bin");
        File.WriteAllBytes(file, Content);
        var handle = CopyReader.Open(file).Handle!;
        handle.Dispose();

        Assert.Throws<ObjectDisposedException>(() => CopyReader.Read(handle, new byte[10], 0));
    }
}
