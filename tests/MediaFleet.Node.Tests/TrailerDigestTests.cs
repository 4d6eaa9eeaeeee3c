using System.Globalization;
using System.Text;
using System.Text.Json;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>
/// PUT with the digest as a trailer field after a chunked body (RFC 9530 section 4, RFC 9112 section 7.1.2): the node
/// checks it once the body is in, and nothing is visible before.
/// </summary>
public sealed class TrailerDigestTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("Repr-Digest")]
    [InlineData("Content-Digest")]
    public async Task Put_ChunkedWithTheRightDigestTrailer_Is201AndStoresTheBytes(string field)
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(300_000);

        var response = await SendChunkedAsync(node, "Movies/a.mkv", body, ["Trailer: " + field], field + ": " + FileApi.DigestField(body));

        Assert.True(response.Status == 201, response.Text);
        using var json = JsonDocument.Parse(response.Text);
        Assert.Equal(FileApi.Sha256Hex(body), json.RootElement.GetProperty("sha256").GetString());
        Assert.Equal(body.Length, json.RootElement.GetProperty("size").GetInt64());
        Assert.Equal(body, await node.Http.GetByteArrayAsync("files/Movies/a.mkv"));
        FileApi.AssertTempEmpty(node);
    }

    [Fact]
    public async Task Put_WrongDigestTrailer_IsDigestMismatchAndNothingVisible()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(300_000);

        var response = await SendChunkedAsync(node, "a.mkv", body, ["Trailer: Repr-Digest"], "Repr-Digest: " + FileApi.DigestField(FileApi.Payload(10, seed: 2)));

        ProblemAssert.Is(response, 400, ProblemTypes.DigestMismatch);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Fact]
    public async Task Put_WrongDigestTrailerOverAFile_KeepsTheOldFile()
    {
        await using var node = await TestNode.StartAsync();
        var old = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", old);
        var body = FileApi.Payload(2000, seed: 2);

        var response = await SendChunkedAsync(node, "a.mkv", body, ["Trailer: Repr-Digest"], "Repr-Digest: " + FileApi.DigestField(old));

        ProblemAssert.Is(response, 400, ProblemTypes.DigestMismatch);
        Assert.Equal(old, await node.Http.GetByteArrayAsync("files/a.mkv"));
        Assert.Equal(1, await FileApi.VersionAsync(node));
        FileApi.AssertTempEmpty(node);
    }

    [Fact]
    public async Task Put_AnnouncedTrailerThatNeverComes_IsInvalidRequestAndNothingVisible()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(5000);

        var response = await SendChunkedAsync(node, "a.mkv", body, ["Trailer: Repr-Digest"], trailer: null);

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidRequest);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Fact]
    public async Task Put_AnnouncedTrailerOnAContentLengthBody_IsInvalidRequestAndNothingVisible()
    {
        // A Content-Length body has no trailer section, so the promised digest can never come (a proxy that buffers
        // the body and drops the trailer looks the same).
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(5000);

        var response = await RawHttp.SendAsync(node, "PUT", "/files/a.mkv", body, "Trailer: Repr-Digest");

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidRequest);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Fact]
    public async Task Put_MalformedDigestTrailer_IsInvalidRequestAndNothingVisible()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(5000);

        var response = await SendChunkedAsync(node, "a.mkv", body, ["Trailer: Repr-Digest"], "Repr-Digest: sha-256=:not-base64:");

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidRequest);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Put_HeaderAndTrailerDigestsDisagree_IsDigestMismatchWhicheverIsRight(bool headerRight)
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(5000);
        var (right, wrong) = (FileApi.DigestField(body), FileApi.DigestField(FileApi.Payload(10, seed: 2)));

        var response = await SendChunkedAsync(node, "a.mkv", body, ["Repr-Digest: " + (headerRight ? right : wrong), "Trailer: Repr-Digest"],
            "Repr-Digest: " + (headerRight ? wrong : right));

        ProblemAssert.Is(response, 400, ProblemTypes.DigestMismatch);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Fact]
    public async Task Put_HeaderAndTrailerDigestsAgree_Is201()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(5000);

        var response = await SendChunkedAsync(node, "a.mkv", body, ["Repr-Digest: " + FileApi.DigestField(body), "Trailer: Repr-Digest"],
            "Repr-Digest: " + FileApi.DigestField(body));

        Assert.True(response.Status == 201, response.Text);
    }

    [Fact]
    public async Task Put_UnannouncedWrongDigestTrailer_IsStillChecked()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(5000);

        var response = await SendChunkedAsync(node, "a.mkv", body, [], "Repr-Digest: " + FileApi.DigestField(FileApi.Payload(10, seed: 2)));

        ProblemAssert.Is(response, 400, ProblemTypes.DigestMismatch);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Fact]
    public async Task Put_ClientDisconnectsBeforeTheTrailer_LeavesNothingBehind()
    {
        await using var node = await TestNode.StartAsync();
        await using var connection = await RawConnection.OpenAsync(node);
        await connection.WriteHeadAsync("PUT", "/files/cut.mkv", [RawHttp.Bearer, "Transfer-Encoding: chunked", "Trailer: Repr-Digest"]);
        await connection.WriteAsync(Chunks(FileApi.Payload(1024 * 1024)));
        // The node must be inside the write (a temp file exists) before the client goes, or the test proves nothing.
        await UntilAsync(() => Directory.EnumerateFileSystemEntries(node.Store.Root.TempFolder).Any(), "the node never started writing the upload");

        await connection.DisposeAsync();
        await UntilAsync(() => !Directory.EnumerateFileSystemEntries(node.Store.Root.TempFolder).Any(), "the temp file of the broken upload was not removed");

        await FileApi.AssertNothingWrittenAsync(node, "cut.mkv", 0);
        Assert.Empty(FileApi.LibraryFiles(node));
    }

    /// <summary>PUTs <paramref name="body"/> chunked, then the last chunk with <paramref name="trailer"/> (a field line) or none.</summary>
    private static async Task<RawResponse> SendChunkedAsync(TestNode node, string path, byte[] body, IEnumerable<string> headers, string? trailer)
    {
        await using var connection = await RawConnection.OpenAsync(node);
        await connection.WriteHeadAsync("PUT", "/files/" + path, [RawHttp.Bearer, "Connection: close", "Transfer-Encoding: chunked", .. headers]);
        await connection.WriteAsync(Chunks(body));
        await connection.WriteAsync(Encoding.Latin1.GetBytes("0\r\n" + (trailer is null ? "" : trailer + "\r\n") + "\r\n"));
        return await connection.ReadResponseAsync();
    }

    /// <summary>The body as 64 KiB chunks, without the last (zero) chunk.</summary>
    private static byte[] Chunks(byte[] body)
    {
        var wire = new MemoryStream();
        foreach (var chunk in body.Chunk(64 * 1024))
        {
            wire.Write(Encoding.Latin1.GetBytes(chunk.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
            wire.Write(chunk);
            wire.Write("\r\n"u8);
        }
        return wire.ToArray();
    }

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
