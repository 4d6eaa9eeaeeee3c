using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using MediaFleet.Contracts.Client;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;

namespace MediaFleet.Node.Replication;

/// <summary>
/// Fetches one file from another node (the upstream, or any peer when healing) into its partial file: resumable with
/// Range + If-Range, guarded by If-Match, hashed on the way; only bytes with the wanted digest are returned.
/// </summary>
internal static class PeerFetch
{
    /// <summary>Attempts in a row that may resume at once, as long as each one brought bytes (a link that cuts often).</summary>
    private const int QuickResumes = 100;

    /// <summary>
    /// Fetches the file with digest <paramref name="sha256"/> from <paramref name="http"/>'s node into its partial file,
    /// resuming when an earlier attempt left bytes, and at once when an attempt broke off after bringing some. A
    /// connection that delivers nothing for <paramref name="idle"/> (a silent NAT, a pulled cable) is given up.
    /// Returns the partial file, complete and verified; throws <see cref="TransferFailedException"/> with the reason
    /// (naming <paramref name="source"/>) otherwise.
    /// </summary>
    public static async Task<string> FetchAsync(HttpClient http, string source, LibraryStore store, NodeMetrics metrics, LibraryPath path, Sha256Digest sha256, long? size,
        TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await FetchOnceAsync(http, source, store, metrics, path, sha256, size, idle, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TransferInterruptedException e) when (e.Progressed && attempt < QuickResumes)
            {
                // Bytes arrived before the break: the next attempt resumes after them, so it is worth making now.
            }
        }
    }

    private static async Task<string> FetchOnceAsync(HttpClient http, string source, LibraryStore store, NodeMetrics metrics, LibraryPath path, Sha256Digest sha256, long? size,
        TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!store.HasRoomFor(size))
        {
            throw new TransferFailedException("disk below ReserveBytes");
        }
        var partial = store.PartialPath(sha256, path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long have = 0;
        if (File.Exists(partial))
        {
            await using var existing = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await existing.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                have += read;
            }
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, NodeClient.FileUri(path.Value));
        var etag = new EntityTagHeaderValue("\"" + sha256.Hex + "\"");
        // If-Match: a newer version upstream answers 412 rather than bytes this change did not write.
        request.Headers.IfMatch.Add(etag);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
            request.Headers.IfRange = new RangeConditionHeaderValue(etag);
        }
        using var silence = new CancellationTokenSource(idle, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, silence.Token);
        var started = have;
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new TransferFailedException(source + " unreachable: " + e.Message, e);
        }
        catch (OperationCanceledException) when (silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TransferFailedException($"{source} did not answer within {idle.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw new TransferFailedException(source + " holds another version of this path");
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                File.Delete(partial);
                throw new TransferFailedException(source + " refused the resume range; starting over next time");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new TransferFailedException($"{source} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (!resumed && have > 0)
            {
                hash.GetHashAndReset();
                have = 0;
                started = 0;
            }
            if (resumed)
            {
                metrics.Resumed();
            }
            try
            {
                await using var body = new IdleTimeoutStream(await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false), silence, idle);
                await using var file = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                have += await HashingCopier.CopyAsync(body, file, store.FreeBytes - store.ReserveBytes, hash, metrics.Transferred, linked.Token).ConfigureAwait(false);
            }
            catch (InsufficientStorageException)
            {
                throw new TransferFailedException("disk below ReserveBytes");
            }
            catch (IOException e) when (Durability.IsDiskFull(e))
            {
                // Not worth resuming at once, and the partial's bytes are what the disk needs back to record anything.
                File.Delete(partial);
                throw new TransferFailedException("the disk is full: " + e.Message, e);
            }
            catch (Exception e) when (e is IOException or HttpRequestException
                                      || e is OperationCanceledException && silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // The bytes so far stay in the partial file: the next attempt resumes after them. An empty one goes.
                var now = File.Exists(partial) ? new FileInfo(partial).Length : 0;
                if (now == 0)
                {
                    File.Delete(partial);
                }
                var why = e is OperationCanceledException
                    ? $"no bytes from {source} for {idle.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s"
                    : e.Message;
                throw new TransferInterruptedException($"transfer interrupted after {now.ToString(CultureInfo.InvariantCulture)} bytes: {why}", now > started, e);
            }
        }
        var digest = Sha256Digest.FromBytes(hash.GetHashAndReset());
        if (digest != sha256)
        {
            File.Delete(partial);
            throw new TransferFailedException($"digest mismatch: the bytes from {source} hash to {digest.Hex}, the catalog says {sha256.Hex}");
        }
        metrics.Fetched();
        return partial;
    }
}

/// <summary>A transfer that broke off; <see cref="Progressed"/> says whether it kept new bytes for a resume.</summary>
internal sealed class TransferInterruptedException(string reason, bool progressed, Exception inner) : TransferFailedException(reason, inner)
{
    public bool Progressed { get; } = progressed;
}

/// <summary>
/// A response body whose every read must bring bytes within <c>idle</c>: each read re-arms the timer that cancels
/// the transfer, so a connection that stays open but silent is given up instead of waited on for ever.
/// </summary>
internal sealed class IdleTimeoutStream(Stream inner, CancellationTokenSource silence, TimeSpan idle) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        silence.CancelAfter(idle);
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        // Disarmed until the next read: time spent writing to disk is not the connection's silence.
        silence.CancelAfter(Timeout.InfiniteTimeSpan);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("reads are asynchronous");
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
