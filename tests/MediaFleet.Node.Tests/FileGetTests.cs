using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using MediaFleet.Contracts.Problems;
using MediaFleet.Library.Catalog;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

public sealed class FileGetTests
{
    [Fact]
    public async Task Get_ExistingFile_Is200WithBytesAndRepresentationHeaders()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(5000);
        await FileApi.PutOkAsync(node, "Movies/a.mkv", body);

        using var response = await node.Http.GetAsync("files/Movies/a.mkv");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(FileApi.ETagOf(body), response.Headers.ETag?.ToString());
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.Equal("sha-256=:" + Convert.ToBase64String(SHA256.HashData(body)) + ":", response.Headers.GetValues("Repr-Digest").Single());
        Assert.Equal(["bytes"], response.Headers.AcceptRanges);
        Assert.Equal(5000, response.Content.Headers.ContentLength);
        var modified = response.Content.Headers.LastModified;
        Assert.NotNull(modified);
        var onDisk = File.GetLastWriteTimeUtc(Path.Combine(node.Library, "Movies", "a.mkv"));
        Assert.InRange((new DateTimeOffset(onDisk) - modified.Value).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData("a.mp4", "video/mp4")]
    [InlineData("Show/S01E01.mkv", "video/x-matroska")]
    [InlineData("a.webm", "video/webm")]
    [InlineData("a.srt", "application/x-subrip")]
    [InlineData("a.unknownext", "application/octet-stream")]
    [InlineData("README", "application/octet-stream")]
    public async Task Get_File_HasContentTypeByExtension(string path, string type)
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, path, FileApi.Payload(10));

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Head_ExistingFile_Is200WithHeadersAndNoBody()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(7000);
        await FileApi.PutOkAsync(node, "a.mp4", body);

        var response = await RawHttp.SendAsync(node, "HEAD", "/files/a.mp4");

        Assert.Equal(200, response.Status);
        Assert.Equal("7000", response.Header("Content-Length"));
        Assert.Equal(FileApi.ETagOf(body), response.Header("ETag"));
        Assert.Equal(FileApi.DigestField(body), response.Header("Repr-Digest"));
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
        Assert.Equal("video/mp4", response.Header("Content-Type"));
        Assert.NotNull(response.Header("Last-Modified"));
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task Head_ThenGetOnOneConnection_HeadSentNoBody()
    {
        // Were any body bytes sent after HEAD, they would be read as the start of the next answer.
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(100);
        await FileApi.PutOkAsync(node, "a.mp4", body);
        await using var connection = await RawConnection.OpenAsync(node);

        await connection.WriteHeadAsync("HEAD", "/files/a.mp4", []);
        var head = await connection.ReadResponseAsync(headOnly: true);
        await connection.WriteHeadAsync("GET", "/files/a.mp4", ["Connection: close"]);
        var get = await connection.ReadResponseAsync();

        Assert.Equal(200, head.Status);
        Assert.Equal(200, get.Status);
        Assert.Equal(body, get.Body);
    }

    public static TheoryData<string, long, long> Ranges => new()
    {
        // Range header, first byte, last byte (file of 300 000 bytes: larger than the node's small-file read)
        { "bytes=0-99", 0, 99 },
        { "bytes=1000-", 1000, 299_999 },
        { "bytes=-50", 299_950, 299_999 },
        { "bytes=65530-262150", 65_530, 262_150 },
        { "bytes=299999-400000", 299_999, 299_999 },
        { "bytes=-500000", 0, 299_999 },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task Get_WithRange_Is206WithContentRangeAndThoseBytes(string range, long first, long last)
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(300_000);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("Range", range));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"bytes {first}-{last}/300000"), response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(last - first + 1, response.Content.Headers.ContentLength);
        Assert.Equal(body[(int)first..(int)(last + 1)], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(FileApi.ETagOf(body), response.Headers.ETag?.ToString());
        Assert.Equal("video/x-matroska", response.Content.Headers.ContentType?.MediaType);
    }

    public static TheoryData<string, long, long> SmallFileRanges => new()
    {
        // Range header, first byte, last byte (file of 4096 bytes: read in one piece)
        { "bytes=0-99", 0, 99 },
        { "bytes=4000-", 4000, 4095 },
        { "bytes=-10", 4086, 4095 },
        { "bytes=100-9999", 100, 4095 },
        { "bytes=4095-4095", 4095, 4095 },
    };

    [Theory]
    [MemberData(nameof(SmallFileRanges))]
    public async Task Get_SmallFileWithRange_Is206WithThoseBytes(string range, long first, long last)
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(4096);
        await FileApi.PutOkAsync(node, "a.srt", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.srt", ("Range", range));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"bytes {first}-{last}/4096"), response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(body[(int)first..(int)(last + 1)], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(FileApi.ETagOf(body), response.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task Get_EmptyFile_Is200WithNoBodyAndItsValidators()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "empty.txt", []);

        using var response = await node.Http.GetAsync("files/empty.txt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(FileApi.ETagOf([]), response.Headers.ETag?.ToString());
        Assert.Equal(FileApi.DigestField([]), response.Headers.GetValues("Repr-Digest").Single());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Head_EmptyFile_Is200WithContentLengthZero()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "empty.txt", []);

        var response = await RawHttp.SendAsync(node, "HEAD", "/files/empty.txt");

        Assert.Equal(200, response.Status);
        Assert.Equal("0", response.Header("Content-Length"));
        Assert.Equal(FileApi.ETagOf([]), response.Header("ETag"));
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task Get_EmptyFileWithRange_Is416WithContentRangeOfZero()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "empty.txt", []);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "empty.txt", ("Range", "bytes=0-0"));

        await ProblemAssert.IsAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, ProblemTypes.InvalidRequest);
        Assert.Equal("bytes */0", response.Content.Headers.ContentRange?.ToString());
    }

    [Theory]
    [InlineData("bytes=0-9,20-29")]
    [InlineData("bytes=50-10")]
    [InlineData("pages=1-2")]
    public async Task Get_WithUnusableRange_Is200WholeFile(string range)
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(100);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("Range", range));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentRange);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_WithRange_Is206WithContentRangeAndNoBody()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(1000));

        var response = await RawHttp.SendAsync(node, "HEAD", "/files/a.mkv", null, "Range: bytes=10-19");

        Assert.Equal(206, response.Status);
        Assert.Equal("bytes 10-19/1000", response.Header("Content-Range"));
        Assert.Equal("10", response.Header("Content-Length"));
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task Get_IfRangeWithCurrentETag_Is206()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("Range", "bytes=100-199"), ("If-Range", FileApi.ETagOf(body)));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(body[100..200], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IfRangeWithStaleETag_Is200WholeFile()
    {
        await using var node = await TestNode.StartAsync();
        var old = FileApi.Payload(1000, seed: 1);
        await FileApi.PutOkAsync(node, "a.mkv", old);
        var body = FileApi.Payload(1000, seed: 2);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("Range", "bytes=100-199"), ("If-Range", FileApi.ETagOf(old)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentRange);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IfRangeWithLastModified_Is206()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", body);
        using var first = await FileApi.SendAsync(node, HttpMethod.Head, "a.mkv");
        var lastModified = first.Content.Headers.GetValues("Last-Modified").Single();

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("Range", "bytes=0-9"), ("If-Range", lastModified));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(body[..10], await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=1000-")]
    [InlineData("bytes=5000-6000")]
    [InlineData("bytes=-0")]
    public async Task Get_RangeOutsideTheFile_Is416WithContentRangeOfTheSize(string range)
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(1000));

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("Range", range));

        await ProblemAssert.IsAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, ProblemTypes.InvalidRequest);
        Assert.Equal("bytes */1000", response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Get_IfNoneMatchWithCurrentETag_Is304WithETagAndNoBody()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("If-None-Match", FileApi.ETagOf(body)));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(FileApi.ETagOf(body), response.Headers.ETag?.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("W/{0}")]
    [InlineData("\"0000\", {0}")]
    [InlineData("*")]
    public async Task Get_IfNoneMatchListOrWeakOrStar_Is304(string format)
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("If-None-Match", string.Format(CultureInfo.InvariantCulture, format, FileApi.ETagOf(body))));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task Get_IfNoneMatchWithStaleETag_Is200()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("If-None-Match", FileApi.ETagOf(FileApi.Payload(10))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IfModifiedSinceLastModified_Is304()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(1000));
        using var first = await FileApi.SendAsync(node, HttpMethod.Head, "a.mkv");
        var lastModified = first.Content.Headers.GetValues("Last-Modified").Single();

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("If-Modified-Since", lastModified));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IfModifiedSinceBeforeLastModified_Is200()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", body);
        using var first = await FileApi.SendAsync(node, HttpMethod.Head, "a.mkv");
        var earlier = first.Content.Headers.LastModified!.Value.AddDays(-1).ToString("r", CultureInfo.InvariantCulture);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("If-Modified-Since", earlier));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IfNoneMatchStaleWithIfModifiedSince_IgnoresTheDate()
    {
        // RFC 9110 section 13.1.3: If-Modified-Since is ignored when If-None-Match is present.
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(1000));
        using var first = await FileApi.SendAsync(node, HttpMethod.Head, "a.mkv");
        var lastModified = first.Content.Headers.GetValues("Last-Modified").Single();

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("If-None-Match", "\"stale\""), ("If-Modified-Since", lastModified));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_AbsentPath_Is404NotFound()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await node.Http.GetAsync("files/Movies/none.mkv");

        await ProblemAssert.IsAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Head_AbsentPath_Is404()
    {
        await using var node = await TestNode.StartAsync();

        var response = await RawHttp.SendAsync(node, "HEAD", "/files/none.mkv");

        Assert.Equal(404, response.Status);
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task Get_FileOnDiskButNotInCatalog_Is404()
    {
        await using var node = await TestNode.StartAsync();
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "dropped.mkv"), FileApi.Payload(10));

        using var response = await node.Http.GetAsync("files/dropped.mkv");

        await ProblemAssert.IsAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Get_IfMatchWithStaleETag_Is412()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(1000));

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("If-Match", FileApi.ETagOf(FileApi.Payload(10))));

        await ProblemAssert.IsAsync(response, HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
    }

    [Fact]
    public async Task Get_IfMatchWithWeakFormOfCurrentETag_Is412()
    {
        // RFC 9110 section 13.1.1: If-Match uses the strong comparison.
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("If-Match", "W/" + FileApi.ETagOf(body)));

        await ProblemAssert.IsAsync(response, HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
    }

    [Fact]
    public async Task Get_CataloguedFileRemovedFromDisk_Is404()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100));
        File.Delete(Path.Combine(node.Library, "a.mkv"));

        using var response = await node.Http.GetAsync("files/a.mkv");

        await ProblemAssert.IsAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        Assert.Null(response.Headers.ETag);
    }

    [Fact]
    public async Task Get_CataloguedFileRemovedFromDiskAfterAGet_Is404()
    {
        // The first GET may leave the copy open; the second must still see that the path is empty.
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(100);
        await FileApi.PutOkAsync(node, "a.mkv", body);
        Assert.Equal(body, await node.Http.GetByteArrayAsync("files/a.mkv"));
        File.Delete(Path.Combine(node.Library, "a.mkv"));

        using var response = await node.Http.GetAsync("files/a.mkv");

        await ProblemAssert.IsAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Get_AfterTheCopyWasReplacedOnDisk_ReadsWhatIsThereNow()
    {
        // As without a kept handle: the bytes at the path (the scrub, not the GET, compares them with the digest).
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(100, seed: 1);
        await FileApi.PutOkAsync(node, "a.mkv", body);
        Assert.Equal(body, await node.Http.GetByteArrayAsync("files/a.mkv"));
        var replacement = FileApi.Payload(100, seed: 2);
        var temp = Path.Combine(node.Library, "a.mkv.new");
        await File.WriteAllBytesAsync(temp, replacement);
        File.Move(temp, Path.Combine(node.Library, "a.mkv"), overwrite: true);

        var bytes = await node.Http.GetByteArrayAsync("files/a.mkv");

        Assert.Equal(replacement, bytes);
    }

    [Fact]
    public async Task Get_OfACopyMadeUnreadableAfterAGet_IsNotFoundAndCorrupt()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(4096));
        using (var first = await node.Http.GetAsync("files/a.mkv"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        await using var broken = await BrokenCopy.InputOutputErrorAsync(Path.Combine(node.Library, "a.mkv"));

        using var response = await node.Http.GetAsync("files/a.mkv");

        await ProblemAssert.IsAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        Assert.Contains("Input/output error", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(FileState.Corrupt, node.Store.Catalog.Find("a.mkv")!.State);
    }

    [Fact]
    public async Task Head_CataloguedFileRemovedFromDisk_Is404LikeGet()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100));
        File.Delete(Path.Combine(node.Library, "a.mkv"));

        using var response = await node.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "files/a.mkv"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Headers.ETag);
    }

    [Fact]
    public async Task UnknownRoute_Is404Problem()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await node.Http.GetAsync("v1/no-such-route");

        await ProblemAssert.IsAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task QueryValueOfTheWrongForm_Is400Problem()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await node.Http.GetAsync("v1/changes?since=abc");

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidRequest);
    }

    [Fact]
    public async Task Get_IfMatchWithCurrentETag_Is200()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Get, "a.mkv", ("If-Match", FileApi.ETagOf(body)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    [InlineData("OPTIONS")]
    public async Task OtherMethods_OnFiles_Are405WithAllow(string method)
    {
        await using var node = await TestNode.StartAsync();

        var response = await RawHttp.SendAsync(node, method, "/files/a.mkv", []);

        ProblemAssert.Is(response, 405, ProblemTypes.InvalidRequest);
        Assert.Equal("GET, HEAD, PUT, DELETE", response.Header("Allow"));
    }

    [Fact]
    public async Task Get_LargeFile_StreamsEveryByte()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(3 * 1024 * 1024 + 17);
        await FileApi.PutOkAsync(node, "big.mkv", body);

        using var response = await node.Http.GetAsync("files/big.mkv");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FileApi.Sha256Hex(body), Convert.ToHexStringLower(SHA256.HashData(await response.Content.ReadAsByteArrayAsync())));
    }
}
