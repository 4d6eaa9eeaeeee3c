using System.Net;
using System.Security.Cryptography;
using MediaFleet.Hosting.Transfers;
using MediaFleet.Library.Digests;
using MediaFleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace MediaFleet.Hosting.Tests;

/// <summary>Downloads from a real Kestrel: whole, cut and resumed, silent, and with digests right, wrong or announced.</summary>
public sealed class ResumableDownloadTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WholeFile_ArrivesVerified_WithProgressToTheEnd()
    {
        using var folder = new TempFolder();
        var content = RandomNumberGenerator.GetBytes((3 << 20) + 17);
        await using var server = await FileServer.StartAsync(content);
        using var http = server.Client();
        var reports = new List<DownloadProgress>();
        var partial = folder.Combine("partial");

        using var file = await ResumableDownload.DownloadAsync(http, Request(partial, Digest(content)) with { Progress = reports.Add }, Idle, TimeProvider.System, CancellationToken.None);

        Assert.Equal(partial, file.TempPath);
        Assert.Equal(Digest(content), file.Sha256);
        Assert.Equal(content.Length, file.Length);
        Assert.Equal(content, await File.ReadAllBytesAsync(partial));
        Assert.Equal([""], server.Ranges);
        Assert.Equal(new DownloadProgress(content.Length, content.Length, reports[^1].Chunk), reports[^1]);
        Assert.Equal(content.Length, reports.Sum(r => r.Chunk));
    }

    [Fact]
    public async Task ConnectionCutMidBody_ResumesAtOnceWithRangeAndIfRange_KeepingWhatArrived()
    {
        using var folder = new TempFolder();
        var content = RandomNumberGenerator.GetBytes(4 << 20);
        await using var server = await FileServer.StartAsync(content, cutAfter: (1 << 20) + 5);
        using var http = server.Client();
        var resumes = 0;

        using var file = await ResumableDownload.DownloadAsync(http, Request(folder.Combine("partial"), Digest(content)) with { Resumed = () => resumes++ }, Idle, TimeProvider.System, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(file.TempPath));
        Assert.Equal(2, server.Ranges.Count);
        var resumedAt = long.Parse(server.Ranges[1]["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 1, (1 << 20) + 5);
        Assert.Equal($"\"{Digest(content).Hex}\"", server.IfRanges[1]);
        Assert.Equal(1, resumes);
    }

    [Fact]
    public async Task PartialLeftByAnEarlierCall_IsResumedAfterItsBytes()
    {
        using var folder = new TempFolder();
        var content = RandomNumberGenerator.GetBytes(200_000);
        await using var server = await FileServer.StartAsync(content);
        using var http = server.Client();
        var partial = folder.Combine("partial");
        await File.WriteAllBytesAsync(partial, content[..70_000]);

        using var file = await ResumableDownload.DownloadAsync(http, Request(partial, Digest(content)), Idle, TimeProvider.System, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(partial));
        Assert.Equal(["bytes=70000-"], server.Ranges);
    }

    [Fact]
    public async Task SilentConnection_IsGivenUpAfterTheIdleTimeout_AndResumed()
    {
        using var folder = new TempFolder();
        var content = RandomNumberGenerator.GetBytes(1 << 20);
        await using var server = await FileServer.StartAsync(content, stallAfter: 300_000);
        using var http = server.Client();

        using var file = await ResumableDownload.DownloadAsync(http, Request(folder.Combine("partial"), Digest(content)), TimeSpan.FromMilliseconds(500), TimeProvider.System, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(file.TempPath));
        Assert.Equal(2, server.Ranges.Count);
        Assert.StartsWith("bytes=", server.Ranges[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongDigest_DeletesThePartialFile_AndSaysBothDigests()
    {
        using var folder = new TempFolder();
        var content = RandomNumberGenerator.GetBytes(100_000);
        var wanted = Digest([1, 2, 3]);
        await using var server = await FileServer.StartAsync(content);
        using var http = server.Client();
        var partial = folder.Combine("partial");

        var e = await Assert.ThrowsAsync<DownloadFailedException>(() => ResumableDownload.DownloadAsync(http, Request(partial, wanted), Idle, TimeProvider.System, CancellationToken.None));

        Assert.Equal(DownloadFailure.DigestMismatch, e.Failure);
        Assert.Equal(Digest(content), e.Received);
        Assert.Contains(Digest(content).Hex, e.Message, StringComparison.Ordinal);
        Assert.Contains(wanted.Hex, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(partial));
        Assert.Empty(folder.Files());
    }

    [Fact]
    public async Task IfMatch_AnotherVersionOnTheServer_Answers412_AndNothingIsWritten()
    {
        using var folder = new TempFolder();
        var content = RandomNumberGenerator.GetBytes(10_000);
        await using var server = await FileServer.StartAsync(content);
        using var http = server.Client();

        var e = await Assert.ThrowsAsync<DownloadFailedException>(() => ResumableDownload.DownloadAsync(http, Request(folder.Combine("partial"), Digest([9])) with { IfMatch = true }, Idle, TimeProvider.System, CancellationToken.None));

        Assert.Equal(DownloadFailure.OtherVersion, e.Failure);
        Assert.Equal(HttpStatusCode.PreconditionFailed, e.StatusCode);
        Assert.Empty(folder.Files());
    }

    [Fact]
    public async Task DigestUnknown_IsTakenFromReprDigest_AndChecked()
    {
        using var folder = new TempFolder();
        var content = RandomNumberGenerator.GetBytes(2 << 20);
        await using var server = await FileServer.StartAsync(content, reprDigest: Digest(content).ToHeaderValue(), cutAfter: 500_000);
        using var http = server.Client();

        using var file = await ResumableDownload.DownloadAsync(http, Request(folder.Combine("partial"), null), Idle, TimeProvider.System, CancellationToken.None);

        Assert.Equal(Digest(content), file.Sha256);
        Assert.Equal(content, await File.ReadAllBytesAsync(file.TempPath));
        Assert.StartsWith("bytes=", server.Ranges[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task DigestUnknown_AReprDigestThatLies_DeletesThePartialFile()
    {
        using var folder = new TempFolder();
        var content = RandomNumberGenerator.GetBytes(50_000);
        await using var server = await FileServer.StartAsync(content, reprDigest: Digest([7]).ToHeaderValue());
        using var http = server.Client();

        var e = await Assert.ThrowsAsync<DownloadFailedException>(() => ResumableDownload.DownloadAsync(http, Request(folder.Combine("partial"), null), Idle, TimeProvider.System, CancellationToken.None));

        Assert.Equal(DownloadFailure.DigestMismatch, e.Failure);
        Assert.Equal(Digest([7]), e.Expected);
        Assert.Empty(folder.Files());
    }

    [Fact]
    public async Task DigestUnknown_NoReprDigest_IsRefusedBeforeAnyByte()
    {
        using var folder = new TempFolder();
        await using var server = await FileServer.StartAsync(RandomNumberGenerator.GetBytes(1000));
        using var http = server.Client();

        var e = await Assert.ThrowsAsync<DownloadFailedException>(() => ResumableDownload.DownloadAsync(http, Request(folder.Combine("partial"), null), Idle, TimeProvider.System, CancellationToken.None));

        Assert.Equal(DownloadFailure.NoDigest, e.Failure);
        Assert.Empty(folder.Files());
    }

    [Fact]
    public async Task NotFound_IsRefused_WithTheStatus()
    {
        using var folder = new TempFolder();
        await using var server = await FileServer.StartAsync([1]);
        using var http = server.Client();

        var e = await Assert.ThrowsAsync<DownloadFailedException>(() => ResumableDownload.DownloadAsync(http, Request(folder.Combine("partial"), Digest([1])) with { Url = new Uri("elsewhere", UriKind.Relative) }, Idle, TimeProvider.System, CancellationToken.None));

        Assert.Equal(DownloadFailure.Refused, e.Failure);
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    private static Sha256Digest Digest(byte[] bytes) => Sha256Digest.FromBytes(SHA256.HashData(bytes));

    private static DownloadRequest Request(string partial, Sha256Digest? sha256) =>
        new() { Url = new Uri("file", UriKind.Relative), PartialPath = partial, Sha256 = sha256 };

    /// <summary>
    /// Kestrel on 127.0.0.1:0 serving <c>GET /file</c> with Range, If-Range and If-Match, its ETag the quoted digest;
    /// the first request may be cut (Content-Length promised, the connection closed after some bytes) or stalled.
    /// </summary>
    private sealed class FileServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly List<string> _ranges = [];
        private readonly List<string> _ifRanges = [];

        private FileServer(WebApplication app) => _app = app;

        public IReadOnlyList<string> Ranges
        {
            get
            {
                lock (_ranges)
                {
                    return [.. _ranges];
                }
            }
        }

        public IReadOnlyList<string> IfRanges
        {
            get
            {
                lock (_ranges)
                {
                    return [.. _ifRanges];
                }
            }
        }

        public HttpClient Client() => new() { BaseAddress = new Uri(_app.Urls.First() + "/") };

        public static async Task<FileServer> StartAsync(byte[] content, string? reprDigest = null, int? cutAfter = null, int? stallAfter = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var server = new FileServer(app);
            var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(content))}\"");
            var requests = 0;
            app.MapGet("/file", async context =>
            {
                var first = Interlocked.Increment(ref requests) == 1;
                lock (server._ranges)
                {
                    server._ranges.Add(context.Request.Headers.Range.ToString());
                    server._ifRanges.Add(context.Request.Headers.IfRange.ToString());
                }
                if (reprDigest is not null)
                {
                    context.Response.Headers["Repr-Digest"] = reprDigest;
                }
                if (first && (cutAfter ?? stallAfter) is { } part)
                {
                    context.Response.Headers.ETag = etag.ToString();
                    context.Response.ContentLength = content.Length;
                    await context.Response.Body.WriteAsync(content.AsMemory(0, part));
                    await context.Response.Body.FlushAsync();
                    if (cutAfter is not null)
                    {
                        context.Abort();
                        return;
                    }
                    // Half-open: the connection stays up and silent until the client gives it up.
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
                }
                await Results.Bytes(content, "application/octet-stream", enableRangeProcessing: true, entityTag: etag).ExecuteAsync(context);
            });
            await app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
