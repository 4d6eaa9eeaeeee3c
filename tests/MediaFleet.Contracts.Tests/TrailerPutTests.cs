using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Problems;
using MediaFleet.Contracts.Tls;
using MediaFleet.Testing;

namespace MediaFleet.Contracts.Tests;

/// <summary>
/// <see cref="NodeClient.PutFileWithDigestTrailerAsync"/> against a real node: the body is read once, hashed on the
/// way, and its digest goes as a trailer; refusals come back before the body is read.
/// </summary>
public sealed class TrailerPutTests
{
    private const int MiB = 1 << 20;

    private static NodeClient ClientOf(string url, string? token = TestNode.Token, ClientTls? tls = null) =>
        new(new ClusterHttp(token, tls ?? ClientTls.System), new Uri(url));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2 * MiB + 12345)]
    public async Task PutFileWithDigestTrailer_StoresTheBytesReadOnce(int length)
    {
        await using var node = await TestNode.StartAsync();
        var bytes = RandomNumberGenerator.GetBytes(length);
        await using var source = new OneReadStream(bytes);

        var (file, created, sha256) = await ClientOf(node.Url).PutFileWithDigestTrailerAsync("Movies/a b.mkv", source, CancellationToken.None);

        var expected = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.True(created);
        Assert.Equal((expected, expected, (long)length, "Movies/a b.mkv"), (sha256, file.Sha256, file.Size, file.Path));
        Assert.Equal(length, source.BytesRead);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(node.Library, "Movies", "a b.mkv")));
    }

    [Fact]
    public async Task PutFileWithDigestTrailer_SameBytesAgain_IsNotCreated()
    {
        await using var node = await TestNode.StartAsync();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var client = ClientOf(node.Url);
        await client.PutFileWithDigestTrailerAsync("a.bin", new OneReadStream(bytes), CancellationToken.None);

        var (file, created, _) = await client.PutFileWithDigestTrailerAsync("a.bin", new OneReadStream(bytes), CancellationToken.None);

        Assert.False(created);
        Assert.Equal(1, file.Version);
    }

    public static TheoryData<string, string?, long, HttpStatusCode, string> Refusals => new()
    {
        { "a.bin", "wrong-token", 0, HttpStatusCode.Forbidden, ProblemTypes.Forbidden },
        { "a.bin", null, 0, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized },
        { "a.bin", TestNode.Token, long.MaxValue, HttpStatusCode.InsufficientStorage, ProblemTypes.InsufficientStorage },
        { "a//b.bin", TestNode.Token, 0, HttpStatusCode.BadRequest, ProblemTypes.InvalidPath },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task PutFileWithDigestTrailer_RefusedUpFront_IsTheProblemAndTheBodyIsNeverRead(string path, string? token, long reserve, HttpStatusCode status, string slug)
    {
        await using var node = await TestNode.StartAsync(settings: new Dictionary<string, string?> { ["Node:ReserveBytes"] = reserve.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await using var source = new OneReadStream(RandomNumberGenerator.GetBytes(3 * MiB));

        var e = await Assert.ThrowsAsync<MediaFleetException>(() => ClientOf(node.Url, token).PutFileWithDigestTrailerAsync(path, source, CancellationToken.None));

        Assert.Equal((status, slug), (e.Status, e.Slug));
        Assert.Equal(0, source.BytesRead);
        Assert.Equal(0, (await node.Client.GetStatusAsync(CancellationToken.None)).Version);
    }

    [Fact]
    public async Task PutFileWithDigestTrailer_OnAFollower_Follows307ToThePrimaryReadingTheBodyOnce()
    {
        await using var primary = await TestNode.StartAsync();
        await using var follower = await TestNode.StartFollowerAsync(primary.Url);
        var bytes = RandomNumberGenerator.GetBytes(MiB + 1);
        await using var source = new OneReadStream(bytes);

        var (file, created, _) = await ClientOf(follower.Url).PutFileWithDigestTrailerAsync("up.bin", source, CancellationToken.None);

        Assert.True(created);
        Assert.Equal(bytes.Length, source.BytesRead);
        Assert.Equal(bytes, await primary.Http.GetByteArrayAsync("files/up.bin"));
        Assert.Equal(file.Version, (await primary.Client.GetStatusAsync(CancellationToken.None)).Version);
    }

    [Fact]
    public async Task PutFileWithDigestTrailer_DiskFullMidBody_StopsSendingAndIsInsufficientStorage()
    {
        // Chunked, so nothing refuses it up front: the node answers 507 when the disk fills while the body still arrives.
        using var disk = new TmpfsMount(8 * MiB);
        await using var node = await TestNode.StartAsync(Directory.CreateDirectory(disk.Combine("lib")).FullName);
        await using var source = new OneReadStream(RandomNumberGenerator.GetBytes(64 * MiB));

        var e = await Assert.ThrowsAsync<MediaFleetException>(() => ClientOf(node.Url).PutFileWithDigestTrailerAsync("big.bin", source, CancellationToken.None));

        Assert.Equal((HttpStatusCode.InsufficientStorage, ProblemTypes.InsufficientStorage), (e.Status, e.Slug));
        Assert.True(source.BytesRead < 48 * MiB, $"the client went on sending after the answer: {source.BytesRead} bytes read");
        Assert.Empty(Directory.EnumerateFileSystemEntries(node.Store.Root.TempFolder));
        Assert.Equal(0, (await node.Client.GetStatusAsync(CancellationToken.None)).Version);
    }

    [Fact]
    public async Task PutFileWithDigestTrailer_SourceFailsMidway_ThrowsItAndTheNodeKeepsNothing()
    {
        await using var node = await TestNode.StartAsync();
        await using var source = new OneReadStream(RandomNumberGenerator.GetBytes(4 * MiB), failAfter: 2 * MiB);

        var e = await Assert.ThrowsAsync<IOException>(() => ClientOf(node.Url).PutFileWithDigestTrailerAsync("cut.bin", source, CancellationToken.None));

        Assert.Equal(OneReadStream.Failure, e.Message);
        var temp = node.Store.Root.TempFolder;
        await UntilAsync(() => !Directory.EnumerateFileSystemEntries(temp).Any(), "the node kept the broken upload's temp file");
        Assert.False(File.Exists(Path.Combine(node.Library, "cut.bin")));
        Assert.Equal(0, (await node.Client.GetStatusAsync(CancellationToken.None)).Version);
    }

    [Fact]
    public async Task PutFileWithDigestTrailer_NobodyListening_IsHttpRequestException()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => ClientOf($"http://127.0.0.1:{port}").PutFileWithDigestTrailerAsync("a.bin", new OneReadStream([1]), CancellationToken.None));

        Assert.IsType<SocketException>(e.InnerException);
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutFileWithDigestTrailer_PlainHttpToAPublicAddress_IsRefusedBeforeConnecting()
    {
        await Assert.ThrowsAsync<PlainHttpRefusedException>(() =>
            ClientOf("http://203.0.113.5:8470", "t").PutFileWithDigestTrailerAsync("a.bin", new OneReadStream([1]), CancellationToken.None));
    }

    [Fact]
    public async Task PutFileWithDigestTrailer_OverHttps_TrustsOnlyTheClusterCa()
    {
        using var certificates = await TestCertificates.CreateAsync();
        var settings = certificates.Settings();
        settings["Node:Listen"] = "https://127.0.0.1:0";
        await using var node = await TestNode.StartAsync(settings: settings);
        var bytes = RandomNumberGenerator.GetBytes(MiB + 7);
        var trusting = ClientOf(node.Url, tls: ClientTls.From(new TlsOptions { CaFile = certificates.CaFile }));
        var other = ClientOf(node.Url, tls: ClientTls.From(new TlsOptions { CaFile = certificates.OtherCaFile }));

        var (file, _, _) = await trusting.PutFileWithDigestTrailerAsync("tls.bin", new OneReadStream(bytes), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => other.PutFileWithDigestTrailerAsync("other.bin", new OneReadStream(bytes), CancellationToken.None));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file.Sha256);
        Assert.IsType<AuthenticationException>(refused.InnerException);
        Assert.Equal(1, (await trusting.GetStatusAsync(CancellationToken.None)).Version);
    }

    private static async Task UntilAsync(Func<bool> condition, string failure)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.False(deadline.IsCancellationRequested, failure);
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }
    }

    /// <summary>A source that can be read once, front to back (like a pipe), counting what was read; it may fail midway.</summary>
    private sealed class OneReadStream(byte[] bytes, int failAfter = int.MaxValue) : Stream
    {
        public const string Failure = "the source broke";

        private int _position;

        public int BytesRead => _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= failAfter)
            {
                throw new IOException(Failure);
            }
            // Pipe-sized reads: a chunk is filled from several.
            var n = Math.Min(Math.Min(buffer.Length, 64 * 1024), Math.Min(bytes.Length, failAfter) - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
