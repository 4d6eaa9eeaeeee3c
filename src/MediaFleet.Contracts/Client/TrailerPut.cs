using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;

namespace MediaFleet.Contracts.Client;

/// <summary>
/// The answer to a <see cref="TrailerPut"/>, and the SHA-256 (hex) of the body when all of it and its trailer were sent.
/// </summary>
internal sealed record TrailerPutAnswer(HttpResponseMessage Response, string? Sha256);

/// <summary>
/// <c>PUT /files/{path}</c> that reads its body once: each chunk is hashed while it is sent, and the SHA-256 follows
/// the last chunk as a <c>Repr-Digest</c> trailer field (RFC 9530 section 4; RFC 9112 section 7.1.2). HttpClient
/// cannot send request trailers (SocketsHttpHandler ends a chunked body with a bare <c>0\r\n\r\n</c>), so this is one
/// HTTP/1.1 request on its own connection, with what ClusterHttp does for every call: the token only where it may
/// travel, servers verified as <see cref="Tls.ClientTls"/> says.
/// </summary>
internal sealed class TrailerPut(ClusterHttp cluster, TimeProvider time)
{
    /// <summary>Bytes per chunk: one read, one hash step and one socket write each.</summary>
    private const int ChunkSize = 1 << 20;

    /// <summary>Room before a chunk's data for its size line ("100000\r\n").</summary>
    private const int SizeLineRoom = 8;

    /// <summary>A follower sends writes up its tree (DESIGN.md section 5); a tree is not deeper than this.</summary>
    private const int MaxRedirects = 5;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>As ClusterHttp's Expect100ContinueTimeout: how long to wait for a refusal before sending the body anyway.</summary>
    private static readonly TimeSpan ContinueTimeout = TimeSpan.FromSeconds(5);

    public async Task<TrailerPutAnswer> SendAsync(Uri target, Stream body, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            var (answer, bodyStarted) = await SendOnceAsync(target, body, cancellationToken).ConfigureAwait(false);
            var status = (int)answer.Response.StatusCode;
            if (status is not (307 or 308) || answer.Response.Headers.Location is not { } location || hop == MaxRedirects)
            {
                return answer;
            }
            answer.Response.Dispose();
            var next = new Uri(target, location);
            if (bodyStarted)
            {
                // Only a node that waited past the 100-continue timeout gets here; the part sent cannot be read again.
                throw new HttpRequestException($"{target.GetLeftPart(UriPartial.Authority)} redirected the upload to {next.GetLeftPart(UriPartial.Authority)} after its body had started; send it there (--node)");
            }
            target = next;
        }
    }

    private async Task<(TrailerPutAnswer Answer, bool BodyStarted)> SendOnceAsync(Uri target, Stream body, CancellationToken cancellationToken)
    {
        var token = cluster.Token;
        if (!string.IsNullOrEmpty(token) && await Tls.PrivateAddresses.RefusalAsync(target, cluster.Tls.AllowInsecureHttp, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            throw new PlainHttpRefusedException(refusal);
        }
        var connection = await ConnectAsync(target, cancellationToken).ConfigureAwait(false);
        var reader = new AnswerReader(connection);
        var continued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<AnswerHead>? answer = null;
        try
        {
            await Network(() => connection.WriteAsync(Head(target, token), cancellationToken)).ConfigureAwait(false);
            // RFC 9110 section 10.1.1: a node that refuses (401, 507, 307 from a follower) answers before the body is sent.
            answer = reader.ReadFinalHeadAsync(continued, cancellationToken);
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                await Task.WhenAny(continued.Task, answer, Task.Delay(ContinueTimeout, time, waiting.Token)).ConfigureAwait(false);
                await waiting.CancelAsync().ConfigureAwait(false);
            }
            string? sha256 = null;
            var started = !answer.IsCompleted;
            if (started)
            {
                try
                {
                    sha256 = await SendBodyAsync(connection, body, answer, cancellationToken).ConfigureAwait(false);
                }
                catch (HttpRequestException failure)
                {
                    // The node may have answered and closed while the body was still going; then its answer says why.
                    try
                    {
                        await answer.ConfigureAwait(false);
                    }
                    catch (HttpRequestException)
                    {
                        ExceptionDispatchInfo.Throw(failure);
                    }
                }
            }
            var head = await answer.ConfigureAwait(false);
            var response = await reader.ReadResponseAsync(head, cancellationToken).ConfigureAwait(false);
            return (new TrailerPutAnswer(response, sha256), started);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            if (answer is { IsCompleted: false })
            {
                // Left behind by a failure on our side (the source, a cancel): the closed connection ends it.
                try
                {
                    await answer.ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or ObjectDisposedException or OperationCanceledException)
                {
                }
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="body"/> as chunks and the digest trailer; returns the digest (hex), or null when the node
    /// answered early (the rest is not sent). While one chunk is on its way, it is hashed and the next one is read.
    /// </summary>
    private static async Task<string?> SendBodyAsync(Stream connection, Stream body, Task answer, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var current = ArrayPool<byte>.Shared.Rent(SizeLineRoom + ChunkSize + 2);
        var next = ArrayPool<byte>.Shared.Rent(SizeLineRoom + ChunkSize + 2);
        var sending = Task.CompletedTask;
        try
        {
            var read = await FillAsync(body, current, cancellationToken).ConfigureAwait(false);
            while (read > 0)
            {
                if (answer.IsCompleted)
                {
                    return null;
                }
                var start = FrameChunk(current, read);
                var chunk = current.AsMemory(start, SizeLineRoom - start + read + 2);
                sending = Network(() => connection.WriteAsync(chunk, cancellationToken));
                hash.AppendData(current, SizeLineRoom, read);
                read = await FillAsync(body, next, cancellationToken).ConfigureAwait(false);
                await sending.ConfigureAwait(false);
                (current, next) = (next, current);
            }
            var digest = hash.GetHashAndReset();
            var end = Encoding.ASCII.GetBytes($"0\r\nRepr-Digest: sha-256=:{Convert.ToBase64String(digest)}:\r\n\r\n");
            await Network(() => connection.WriteAsync(end, cancellationToken)).ConfigureAwait(false);
            await Network(() => new ValueTask(connection.FlushAsync(cancellationToken))).ConfigureAwait(false);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            try
            {
                // A source that failed mid-copy must not return a buffer the socket is still sending from.
                await sending.ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
            }
            catch (OperationCanceledException)
            {
            }
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }
    }

    /// <summary>Writes the size line before the data at <see cref="SizeLineRoom"/> and CRLF after it; returns where the chunk starts.</summary>
    private static int FrameChunk(byte[] buffer, int length)
    {
        var size = length.ToString("x", CultureInfo.InvariantCulture) + "\r\n";
        var start = SizeLineRoom - size.Length;
        Encoding.ASCII.GetBytes(size, buffer.AsSpan(start));
        buffer[SizeLineRoom + length] = (byte)'\r';
        buffer[SizeLineRoom + length + 1] = (byte)'\n';
        return start;
    }

    /// <summary>Reads into <paramref name="buffer"/> after its size-line room until a chunk is full or the source ends.</summary>
    private static async Task<int> FillAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < ChunkSize)
        {
            var n = await body.ReadAsync(buffer.AsMemory(SizeLineRoom + read, ChunkSize - read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            read += n;
        }
        return read;
    }

    private static byte[] Head(Uri target, string? token)
    {
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"PUT {target.PathAndQuery} HTTP/1.1\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: {HostHeader(target)}\r\n");
        if (!string.IsNullOrEmpty(token))
        {
            head.Append(CultureInfo.InvariantCulture, $"Authorization: Bearer {token}\r\n");
        }
        head.Append("Transfer-Encoding: chunked\r\nTrailer: Repr-Digest\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
        return Encoding.ASCII.GetBytes(head.ToString());
    }

    private static string HostHeader(Uri target)
    {
        var host = target.HostNameType == UriHostNameType.IPv6 ? "[" + HostOf(target) + "]" : HostOf(target);
        return target.IsDefaultPort ? host : host + ":" + target.Port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The host to resolve and to check the certificate against: a name in ASCII, an IPv6 address without brackets.</summary>
    private static string HostOf(Uri target) => target.IdnHost.Trim('[', ']');

    /// <summary>A TCP connection to <paramref name="target"/>, inside TLS for https.</summary>
    private async Task<Stream> ConnectAsync(Uri target, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connecting.CancelAfter(ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(new DnsEndPoint(HostOf(target), target.Port), connecting.Token).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    throw new HttpRequestException($"{e.Message} ({target.Authority})", e);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new HttpRequestException($"no connection within {ConnectTimeout.TotalSeconds:0} s ({target.Authority})");
                }
            }
            var network = new NetworkStream(socket, ownsSocket: true);
            if (!string.Equals(target.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
            {
                return network;
            }
            var tls = new SslStream(network, leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = HostOf(target),
                    RemoteCertificateValidationCallback = cluster.Tls.ValidationCallback,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                // As SocketsHttpHandler words it, so the CLI's one-line reason reads the same for both paths.
                throw new HttpRequestException("The SSL connection could not be established, see inner exception.", e);
            }
            return tls;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Runs a network step; a broken connection becomes the HttpRequestException an HttpClient call would throw.</summary>
    private static async Task Network(Func<ValueTask> step)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new HttpRequestException("the connection broke: " + e.Message, e);
        }
    }
}
