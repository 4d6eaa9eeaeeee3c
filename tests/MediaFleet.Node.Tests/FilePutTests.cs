using System.Globalization;
using System.Net;
using System.Text.Json;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

public sealed class FilePutTests
{
    [Fact]
    public async Task Put_NewPath_Is201WithFileBodyAndETag()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(5000);

        using var response = await FileApi.PutAsync(node, "Movies/Alien (1979)/Alien.mkv", body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(FileApi.ETagOf(body), response.Headers.ETag?.ToString());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var file = json.RootElement;
        Assert.Equal(["path", "sha256", "size", "version"], file.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Movies/Alien (1979)/Alien.mkv", file.GetProperty("path").GetString());
        Assert.Equal(FileApi.Sha256Hex(body), file.GetProperty("sha256").GetString());
        Assert.Equal(5000, file.GetProperty("size").GetInt64());
        Assert.Equal(1, file.GetProperty("version").GetInt64());
        Assert.Equal(body, await File.ReadAllBytesAsync(Path.Combine(node.Library, "Movies", "Alien (1979)", "Alien.mkv")));
        FileApi.AssertTempEmpty(node);
    }

    [Fact]
    public async Task Put_ExistingPathWithOtherBytes_Is200ReplacedWithNewVersion()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mp4", FileApi.Payload(100, seed: 1));
        var replacement = FileApi.Payload(200, seed: 2);

        using var response = await FileApi.PutAsync(node, "a.mp4", replacement);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FileApi.ETagOf(replacement), response.Headers.ETag?.ToString());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(FileApi.Sha256Hex(replacement), json.RootElement.GetProperty("sha256").GetString());
        Assert.Equal(200, json.RootElement.GetProperty("size").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(2, await FileApi.VersionAsync(node));
        Assert.Equal(replacement, await node.Http.GetByteArrayAsync("files/a.mp4"));
    }

    [Fact]
    public async Task Put_IdenticalBytesAgain_Is200WithSameVersionAndNoNewChange()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", body);
        var changesBefore = await FileApi.ChangeCountAsync(node);

        using var response = await FileApi.PutAsync(node, "a.mkv", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FileApi.ETagOf(body), response.Headers.ETag?.ToString());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(1, await FileApi.VersionAsync(node));
        Assert.Equal(changesBefore, await FileApi.ChangeCountAsync(node));
        FileApi.AssertTempEmpty(node);
    }

    [Fact]
    public async Task Put_EmptyBody_Is201WithSizeZero()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await FileApi.PutAsync(node, "empty.srt", []);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(0, json.RootElement.GetProperty("size").GetInt64());
        Assert.Equal(FileApi.Sha256Hex([]), json.RootElement.GetProperty("sha256").GetString());
    }

    [Theory]
    [InlineData("Repr-Digest")]
    [InlineData("Content-Digest")]
    public async Task Put_RightDigestField_IsAccepted(string field)
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(3000);

        using var response = await FileApi.PutAsync(node, "a.mkv", body, (field, FileApi.DigestField(body)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(body, await node.Http.GetByteArrayAsync("files/a.mkv"));
    }

    [Fact]
    public async Task Put_DigestFieldWithOtherAlgorithmsBesideSha256_ChecksTheSha256Member()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(3000);

        using var response = await FileApi.PutAsync(node, "a.mkv", body, ("Repr-Digest", "sha-512=:AAAA:, " + FileApi.DigestField(body)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("Repr-Digest")]
    [InlineData("Content-Digest")]
    public async Task Put_WrongDigestField_Is400DigestMismatchAndNothingVisible(string field)
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(3000, seed: 1);
        var other = FileApi.Payload(3000, seed: 2);

        using var response = await FileApi.PutAsync(node, "a.mkv", body, (field, FileApi.DigestField(other)));

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.DigestMismatch);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Fact]
    public async Task Put_WrongDigestOverExistingFile_KeepsTheOldFile()
    {
        await using var node = await TestNode.StartAsync();
        var old = FileApi.Payload(1000, seed: 1);
        await FileApi.PutOkAsync(node, "a.mkv", old);
        var body = FileApi.Payload(1000, seed: 2);

        using var response = await FileApi.PutAsync(node, "a.mkv", body, ("Repr-Digest", FileApi.DigestField(old)));

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.DigestMismatch);
        Assert.Equal(old, await node.Http.GetByteArrayAsync("files/a.mkv"));
        Assert.Equal(1, await FileApi.VersionAsync(node));
        FileApi.AssertTempEmpty(node);
    }

    [Theory]
    [InlineData("sha-256=abc")]
    [InlineData("sha-256=:AAAA:")]
    [InlineData("sha-256=:not base64 at all!:")]
    [InlineData("sha-256")]
    [InlineData("garbage")]
    [InlineData("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")]
    public async Task Put_MalformedDigestField_Is400InvalidRequestAndNothingVisible(string value)
    {
        await using var node = await TestNode.StartAsync();

        using var response = await FileApi.PutAsync(node, "a.mkv", FileApi.Payload(100), ("Repr-Digest", value));

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidRequest);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Fact]
    public async Task Put_IfNoneMatchStarOnExistingFile_Is412AndKeepsTheOldFile()
    {
        await using var node = await TestNode.StartAsync();
        var old = FileApi.Payload(100, seed: 1);
        await FileApi.PutOkAsync(node, "a.mkv", old);

        using var response = await FileApi.PutAsync(node, "a.mkv", FileApi.Payload(100, seed: 2), ("If-None-Match", "*"));

        await ProblemAssert.IsAsync(response, HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
        Assert.Equal(old, await node.Http.GetByteArrayAsync("files/a.mkv"));
        Assert.Equal(1, await FileApi.VersionAsync(node));
        FileApi.AssertTempEmpty(node);
    }

    [Fact]
    public async Task Put_IfNoneMatchStarOnNewPath_Is201()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await FileApi.PutAsync(node, "a.mkv", FileApi.Payload(100), ("If-None-Match", "*"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Put_IfMatchWithStaleETag_Is412AndKeepsTheOldFile()
    {
        await using var node = await TestNode.StartAsync();
        var old = FileApi.Payload(100, seed: 1);
        await FileApi.PutOkAsync(node, "a.mkv", old);
        var stale = FileApi.ETagOf(FileApi.Payload(100, seed: 3));

        using var response = await FileApi.PutAsync(node, "a.mkv", FileApi.Payload(100, seed: 2), ("If-Match", stale));

        await ProblemAssert.IsAsync(response, HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
        Assert.Equal(old, await node.Http.GetByteArrayAsync("files/a.mkv"));
        Assert.Equal(1, await FileApi.VersionAsync(node));
        FileApi.AssertTempEmpty(node);
    }

    [Fact]
    public async Task Put_IfMatchWithCurrentETag_Is200Replaced()
    {
        await using var node = await TestNode.StartAsync();
        var old = FileApi.Payload(100, seed: 1);
        await FileApi.PutOkAsync(node, "a.mkv", old);
        var replacement = FileApi.Payload(100, seed: 2);

        using var response = await FileApi.PutAsync(node, "a.mkv", replacement, ("If-Match", FileApi.ETagOf(old)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(replacement, await node.Http.GetByteArrayAsync("files/a.mkv"));
    }

    [Fact]
    public async Task Put_IfMatchWithWeakFormOfCurrentETag_Is412()
    {
        // RFC 9110 section 13.1.1: If-Match uses the strong comparison, so a weak tag never matches.
        await using var node = await TestNode.StartAsync();
        var old = FileApi.Payload(100, seed: 1);
        await FileApi.PutOkAsync(node, "a.mkv", old);

        using var response = await FileApi.PutAsync(node, "a.mkv", FileApi.Payload(100, seed: 2), ("If-Match", "W/" + FileApi.ETagOf(old)));

        await ProblemAssert.IsAsync(response, HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
        Assert.Equal(old, await node.Http.GetByteArrayAsync("files/a.mkv"));
    }

    [Fact]
    public async Task Put_IfMatchOnNewPath_Is412AndNothingVisible()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await FileApi.PutAsync(node, "a.mkv", FileApi.Payload(100), ("If-Match", "*"));

        await ProblemAssert.IsAsync(response, HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Fact]
    public async Task Put_OverAFolder_Is400InvalidPath()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "Movies/a.mkv", FileApi.Payload(10));

        using var response = await FileApi.PutAsync(node, "Movies", FileApi.Payload(10, seed: 2));

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidPath);
        Assert.True(Directory.Exists(Path.Combine(node.Library, "Movies")));
        Assert.Equal(1, await FileApi.VersionAsync(node));
        FileApi.AssertTempEmpty(node);
    }

    [Fact]
    public async Task Put_BelowAFile_Is400InvalidPath()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(10));

        using var response = await FileApi.PutAsync(node, "a.mkv/b.srt", FileApi.Payload(10, seed: 2));

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidPath);
        Assert.Equal(["a.mkv"], FileApi.LibraryFiles(node));
        Assert.Equal(1, await FileApi.VersionAsync(node));
        FileApi.AssertTempEmpty(node);
    }

    [Fact]
    public async Task Put_UnicodePath_IsStoredUnderItsUtf8Name()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(10);

        using var response = await FileApi.PutAsync(node, "Filme/Amélie (2001)/🎬.mkv", body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Filme/Amélie (2001)/🎬.mkv", json.RootElement.GetProperty("path").GetString());
        Assert.Equal(body, await File.ReadAllBytesAsync(Path.Combine(node.Library, "Filme", "Amélie (2001)", "🎬.mkv")));
    }

    [Fact]
    public async Task Put_WhenReserveExceedsFreeSpace_Is507BeforeReadingTheBody()
    {
        await using var node = await TestNode.StartAsync(settings: new Dictionary<string, string?> { ["Node:ReserveBytes"] = (1L << 60).ToString(CultureInfo.InvariantCulture) });
        await using var connection = await RawConnection.OpenAsync(node);

        // Announce 10 MB and send none of it: only an answer given before the body can arrive at all.
        await connection.WriteHeadAsync("PUT", "/files/big.mkv", [RawHttp.Bearer, "Content-Length: 10485760"]);
        var response = await connection.ReadResponseAsync();

        ProblemAssert.Is(response, 507, ProblemTypes.InsufficientStorage);
        await FileApi.AssertNothingWrittenAsync(node, "big.mkv", 0);
    }

    [Fact]
    public async Task Put_ChunkedUploadPassingTheReserveMidWrite_Is507AndLeavesNothing()
    {
        // The reserve leaves room for about 128 MB. Other processes share the disk, so the free space the node sees
        // may drift: the upload (no Content-Length) goes on until the node answers, up to 2 GB.
        const long room = 128L << 20;
        var reserve = new DriveInfo(Path.GetTempPath()).AvailableFreeSpace - room;
        await using var node = await TestNode.StartAsync(settings: new Dictionary<string, string?> { ["Node:ReserveBytes"] = reserve.ToString(CultureInfo.InvariantCulture) });
        await using var connection = await RawConnection.OpenAsync(node);
        await connection.WriteHeadAsync("PUT", "/files/big.mkv", [RawHttp.Bearer, "Transfer-Encoding: chunked"]);

        var answer = connection.ReadResponseAsync();
        var sent = await SendChunksUntilAnsweredAsync(connection, maxChunks: 2048, answer);
        var response = await answer;

        ProblemAssert.Is(response, 507, ProblemTypes.InsufficientStorage);
        Assert.True(sent > 0, "the node answered before any of the body was sent");
        await FileApi.AssertNothingWrittenAsync(node, "big.mkv", 0);
    }

    /// <summary>Sends 1 MB chunks until the node has answered (and may have closed); returns how many went out.</summary>
    private static async Task<int> SendChunksUntilAnsweredAsync(RawConnection connection, int maxChunks, Task answered)
    {
        var chunk = FileApi.Payload(1 << 20);
        var size = "100000\r\n"u8.ToArray();
        var end = "\r\n"u8.ToArray();
        var sent = 0;
        try
        {
            while (sent < maxChunks && !answered.IsCompleted)
            {
                await connection.WriteAsync(size);
                await connection.WriteAsync(chunk);
                await connection.WriteAsync(end);
                sent++;
            }
            if (!answered.IsCompleted)
            {
                await connection.WriteAsync("0\r\n\r\n"u8.ToArray());
            }
        }
        catch (IOException)
        {
            // The node answered 507 and closed while chunks were still going out: the expected end.
        }
        return sent;
    }
}
