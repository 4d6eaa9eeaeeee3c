using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using MediaFleet.Contracts.Problems;
using MediaFleet.Library.Digests;
using MediaFleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Hosting.Tests;

/// <summary>RangeFile answering GET and HEAD of a temp file through real Kestrel, the way the broker serves a job's output.</summary>
public sealed class RangeFileTests
{
    // Larger than the 64 KiB small-file read, so long ranges take the chunked path.
    private const int Size = 300_000;
    private static readonly DateTimeOffset Modified = new(2025, 1, 6, 10, 0, 0, 500, TimeSpan.Zero);
    private const string LastModified = "Mon, 06 Jan 2025 10:00:00 GMT";

    [Fact]
    public async Task Get_WithoutConditions_Is200WithTheWholeFileAndItsValidators()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(host.Body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(Size, response.Content.Headers.ContentLength);
        Assert.Equal(host.ETag, response.Headers.ETag?.Tag);
        Assert.False(response.Headers.ETag?.IsWeak);
        Assert.Equal([host.Digest.ToHeaderValue()], response.Headers.GetValues("Repr-Digest"));
        Assert.Equal(["bytes"], response.Headers.AcceptRanges);
        Assert.Equal([LastModified], response.Content.Headers.GetValues("Last-Modified"));
        Assert.Equal("video/x-matroska", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Content.Headers.ContentRange);
    }

    [Fact]
    public async Task Head_Is200WithTheHeadersOfAGetAndNoBody()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Head);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Size, response.Content.Headers.ContentLength);
        Assert.Equal(host.ETag, response.Headers.ETag?.Tag);
        Assert.Equal([host.Digest.ToHeaderValue()], response.Headers.GetValues("Repr-Digest"));
        Assert.Equal(["bytes"], response.Headers.AcceptRanges);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    public static TheoryData<string, long, long> Ranges => new()
    {
        // Range header, first byte, last byte of the 300 000 bytes
        { "bytes=0-0", 0, 0 },
        { "bytes=100-199", 100, 199 },
        { "bytes=1000-", 1000, Size - 1 },
        { "bytes=299990-400000", 299_990, Size - 1 },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task Get_WithRange_Is206WithContentRangeAndThoseBytes(string range, long first, long last)
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get, ("Range", range));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"bytes {first}-{last}/{Size}"), response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(last - first + 1, response.Content.Headers.ContentLength);
        Assert.Equal(host.Body[(int)first..(int)(last + 1)], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(host.ETag, response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Get_WithSuffixRange_Is206WithTheLastBytes()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get, ("Range", "bytes=-500"));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("bytes 299500-299999/300000", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(host.Body[^500..], await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=300000-")]
    [InlineData("bytes=-0")]
    public async Task Get_WithRangeOutsideTheFile_Is416WithContentRangeOfTheSize(string range)
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get, ("Range", range));

        await AssertProblemAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, ProblemTypes.InvalidRequest);
        Assert.Equal("bytes */300000", response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Get_IfNoneMatchWithCurrentETag_Is304WithETagAndNoBody()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get, ("If-None-Match", host.ETag));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(host.ETag, response.Headers.ETag?.Tag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IfNoneMatchWithOtherETag_Is200()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get, ("If-None-Match", ETagOf(Payload(10))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(host.Body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IfModifiedSinceLastModified_Is304()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get, ("If-Modified-Since", LastModified));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task Get_IfRangeWithCurrentETag_Is206()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get, ("Range", "bytes=100-199"), ("If-Range", host.ETag));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(host.Body[100..200], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IfRangeWithOtherETag_Is200WholeFile()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get, ("Range", "bytes=100-199"), ("If-Range", ETagOf(Payload(10))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentRange);
        Assert.Equal(host.Body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IfMatchWithOtherETag_Is412()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), Modified);

        using var response = await host.SendAsync(HttpMethod.Get, ("If-Match", ETagOf(Payload(10))));

        await AssertProblemAsync(response, HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
    }

    [Fact]
    public async Task Get_WithoutModificationTime_SendsNoLastModified_AndDateConditionsNeverHold()
    {
        await using var host = await FileHost.StartAsync(Payload(Size), modified: null);

        using var plain = await host.SendAsync(HttpMethod.Get);
        using var sinceLater = await host.SendAsync(HttpMethod.Get, ("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"));
        using var rangeIfDate = await host.SendAsync(HttpMethod.Get, ("Range", "bytes=0-9"), ("If-Range", LastModified));

        Assert.False(plain.Content.Headers.Contains("Last-Modified"));
        Assert.Equal(HttpStatusCode.OK, sinceLater.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rangeIfDate.StatusCode);
        Assert.Equal(host.Body, await rangeIfDate.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_FileShorterThanItsLength_BreaksTheTransfer()
    {
        // The file shrank after its length was taken: the client must see a broken body, never a short complete one.
        await using var host = await FileHost.StartAsync(Payload(1000), Modified, length: Size);

        // Kestrel resets the connection: the reset may even overtake the headers, so only the failure is certain.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => host.SendAsync(HttpMethod.Get));
    }

    [Fact]
    public async Task Get_SmallFileShorterThanItsLength_BreaksTheTransfer()
    {
        // The same for a file read in one piece (at most 64 KiB).
        await using var host = await FileHost.StartAsync(Payload(1000), Modified, length: 4096);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => host.SendAsync(HttpMethod.Get));
    }

    [Fact]
    public async Task Get_SmallFile_Is200WithTheWholeFile()
    {
        await using var host = await FileHost.StartAsync(Payload(4096), Modified);

        using var response = await host.SendAsync(HttpMethod.Get);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(host.Body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(4096, response.Content.Headers.ContentLength);
    }

    private static byte[] Payload(int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = (byte)((i * 31) + (i >> 8));
        }
        return bytes;
    }

    private static string ETagOf(byte[] body) => "\"" + Convert.ToHexStringLower(SHA256.HashData(body)) + "\"";

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(ProblemTypes.Uri(slug), problem.RootElement.GetProperty("type").GetString());
    }

    /// <summary>Kestrel on 127.0.0.1:0 answering every request with one temp file, opened as a FileStream per request.</summary>
    private sealed class FileHost : IAsyncDisposable
    {
        private readonly TempFolder folder;
        private readonly WebApplication app;
        private readonly HttpClient client;

        private FileHost(TempFolder folder, WebApplication app, byte[] body, Sha256Digest digest)
        {
            this.folder = folder;
            this.app = app;
            Body = body;
            Digest = digest;
            client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        }

        public byte[] Body { get; }

        public Sha256Digest Digest { get; }

        public string ETag => "\"" + Digest.Hex + "\"";

        public static async Task<FileHost> StartAsync(byte[] body, DateTimeOffset? modified, long? length = null)
        {
            var folder = new TempFolder();
            var file = folder.Combine("output.mkv");
            await File.WriteAllBytesAsync(file, body);
            var digest = Sha256Digest.FromBytes(SHA256.HashData(body));
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.Run(async context =>
            {
                var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
                await using (stream)
                {
                    await new RangeFile(digest, length ?? stream.Length, "video/x-matroska", modified).ServeAsync(context, stream.SafeFileHandle);
                }
            });
            await app.StartAsync();
            return new FileHost(folder, app, body, digest);
        }

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(method, "/output");
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            return await client.SendAsync(request);
        }

        public async ValueTask DisposeAsync()
        {
            client.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
            folder.Dispose();
        }
    }
}
