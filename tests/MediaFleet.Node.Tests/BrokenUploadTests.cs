using System.Net.Sockets;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>Uploads that end badly: the client goes away, or the body is shorter than announced.</summary>
public sealed class BrokenUploadTests
{
    private const int TenMegabytes = 10 * 1024 * 1024;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Put_ClientDisconnectsMidBody_LeavesNothingBehind()
    {
        await using var node = await TestNode.StartAsync();
        await using var connection = await RawConnection.OpenAsync(node);
        await connection.WriteHeadAsync("PUT", "/files/cut.mkv", [RawHttp.Bearer, "Content-Length: " + TenMegabytes]);
        await connection.WriteAsync(FileApi.Payload(1024 * 1024));
        // The node must be inside the write (a temp file exists) before the client goes, or the test proves nothing.
        await UntilAsync(() => TempFiles(node).Count > 0, "the node never started writing the upload");

        await connection.DisposeAsync();
        await UntilAsync(() => TempFiles(node).Count == 0, "the temp file of the broken upload was not removed");

        await FileApi.AssertNothingWrittenAsync(node, "cut.mkv", 0);
        Assert.Empty(FileApi.LibraryFiles(node));
        await FileApi.PutOkAsync(node, "after.mkv", FileApi.Payload(10));
    }

    [Fact]
    public async Task Put_ClientDisconnectsMidBodyReplacingAFile_KeepsTheOldFile()
    {
        await using var node = await TestNode.StartAsync();
        var old = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", old);
        await using var connection = await RawConnection.OpenAsync(node);
        await connection.WriteHeadAsync("PUT", "/files/a.mkv", [RawHttp.Bearer, "Content-Length: " + TenMegabytes]);
        await connection.WriteAsync(FileApi.Payload(1024 * 1024, seed: 2));
        await UntilAsync(() => TempFiles(node).Count > 0, "the node never started writing the upload");

        await connection.DisposeAsync();
        await UntilAsync(() => TempFiles(node).Count == 0, "the temp file of the broken upload was not removed");

        Assert.Equal(old, await node.Http.GetByteArrayAsync("files/a.mkv"));
        Assert.Equal(1, await FileApi.VersionAsync(node));
    }

    [Theory]
    [InlineData(TenMegabytes, 1024 * 1024)]
    [InlineData(100, 60)]
    public async Task Put_BodyShorterThanContentLengthThenHalfClose_LeavesNothingVisible(int announced, int sent)
    {
        await using var node = await TestNode.StartAsync();
        await using var connection = await RawConnection.OpenAsync(node);
        await connection.WriteHeadAsync("PUT", "/files/short.mkv", [RawHttp.Bearer, "Content-Length: " + announced]);
        await connection.WriteAsync(FileApi.Payload(sent));
        await UntilAsync(() => TempFiles(node).Count > 0, "the node never started writing the upload");

        connection.Socket.Shutdown(SocketShutdown.Send);
        var response = await connection.TryReadResponseAsync();
        await UntilAsync(() => TempFiles(node).Count == 0, "the temp file of the truncated upload was not removed");

        // Kestrel takes the client's FIN for the end of the connection and aborts the request: no answer comes back.
        Assert.Null(response);
        await FileApi.AssertNothingWrittenAsync(node, "short.mkv", 0);
    }

    [Fact]
    public async Task Put_ChunkedBodyCutBeforeTheLastChunkThenHalfClose_LeavesNothingVisible()
    {
        await using var node = await TestNode.StartAsync();
        await using var connection = await RawConnection.OpenAsync(node);
        await connection.WriteHeadAsync("PUT", "/files/short.mkv", [RawHttp.Bearer, "Transfer-Encoding: chunked"]);
        await connection.WriteAsync("a\r\n0123456789\r\n"u8.ToArray());
        await UntilAsync(() => TempFiles(node).Count > 0, "the node never started writing the upload");

        connection.Socket.Shutdown(SocketShutdown.Send);
        var response = await connection.TryReadResponseAsync();
        await UntilAsync(() => TempFiles(node).Count == 0, "the temp file of the truncated upload was not removed");

        Assert.Null(response);
        await FileApi.AssertNothingWrittenAsync(node, "short.mkv", 0);
    }

    [Fact]
    public async Task Put_MalformedChunk_Is400InvalidRequestAndNothingVisible()
    {
        await using var node = await TestNode.StartAsync();
        await using var connection = await RawConnection.OpenAsync(node);
        await connection.WriteHeadAsync("PUT", "/files/bad.mkv", [RawHttp.Bearer, "Transfer-Encoding: chunked"]);

        await connection.WriteAsync("a\r\n0123456789\r\nzz\r\n"u8.ToArray());
        var response = await connection.ReadResponseAsync();

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidRequest);
        await FileApi.AssertNothingWrittenAsync(node, "bad.mkv", 0);
    }

    [Fact]
    public async Task Put_ChunkedBodyComplete_Is201()
    {
        // The control case for the cut chunked body above.
        await using var node = await TestNode.StartAsync();
        await using var connection = await RawConnection.OpenAsync(node);
        await connection.WriteHeadAsync("PUT", "/files/whole.mkv", [RawHttp.Bearer, "Transfer-Encoding: chunked", "Connection: close"]);

        await connection.WriteAsync("a\r\n0123456789\r\n0\r\n\r\n"u8.ToArray());
        var response = await connection.ReadResponseAsync();

        Assert.Equal(201, response.Status);
        Assert.Equal("0123456789"u8.ToArray(), await node.Http.GetByteArrayAsync("files/whole.mkv"));
    }

    private static List<string> TempFiles(TestNode node) => Directory.EnumerateFileSystemEntries(node.Store.Root.TempFolder).ToList();

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    private static async Task UntilAsync(Func<bool> condition, string failure)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (!condition())
        {
            Assert.False(deadline.IsCancellationRequested, failure);
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }
    }
}
