using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Storage;
using MediaFleet.Library.Store;

namespace MediaFleet.Hosting.Transfers;

/// <summary>
/// Fetches one file over HTTP into a partial file: resumable with <c>Range</c> + <c>If-Range</c>, hashed on the way,
/// given up when the connection goes silent; only bytes with the wanted SHA-256 are returned.
/// </summary>
public static class ResumableDownload
{
    /// <summary>Attempts in a row that may resume at once, as long as each one brought bytes (a link that cuts often).</summary>
    public const int QuickResumes = 100;

    private const int ReadSize = 1 << 20;

    /// <summary>
    /// Downloads <see cref="DownloadRequest.Url"/> into <see cref="DownloadRequest.PartialPath"/>, resuming when an
    /// earlier call or attempt left bytes, and at once when an attempt broke off after bringing some (up to
    /// <see cref="QuickResumes"/> in a row). A connection that delivers nothing for <paramref name="idle"/> (a silent
    /// NAT, a pulled cable) is given up. Returns the partial file, complete, flushed to disk and verified, for the
    /// caller to install (<see cref="DurableFile.Install"/>) or use; disposing it deletes it.
    /// </summary>
    /// <exception cref="DownloadFailedException">The download gave up; <see cref="DownloadFailedException.Failure"/> says why.</exception>
    public static async Task<DurableWrite> DownloadAsync(HttpClient http, DownloadRequest request, TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(request);
        var attempt = new Attempt(http, request, idle, time);
        for (var count = 1; ; count++)
        {
            try
            {
                return await attempt.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DownloadFailedException e) when (e.Failure == DownloadFailure.Interrupted && e.Progressed && count < QuickResumes)
            {
                // Bytes arrived before the break: the next attempt resumes after them, so it is worth making now.
            }
        }
    }

    /// <summary>One request and its body; keeps what the attempts of one call learn (the digest from <c>Repr-Digest</c>).</summary>
    private sealed class Attempt(HttpClient http, DownloadRequest request, TimeSpan idle, TimeProvider time)
    {
        private readonly string _source = request.Source ?? (request.Url.IsAbsoluteUri ? request.Url : http.BaseAddress)?.Authority ?? request.Url.ToString();
        private readonly string _idleText = idle.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        private Sha256Digest? _digest = request.Sha256;
        private EntityTagHeaderValue? _etag;

        public async Task<DurableWrite> RunAsync(CancellationToken cancellationToken)
        {
            if ((request.Budget?.Invoke() ?? long.MaxValue) < (request.Size ?? 0))
            {
                throw new DownloadFailedException(DownloadFailure.InsufficientStorage, $"no room for the {request.Size} bytes from {_source}");
            }
            var partial = request.PartialPath;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var have = await ReadPartialAsync(partial, hash, cancellationToken).ConfigureAwait(false);
            using var message = new HttpRequestMessage(HttpMethod.Get, request.Url);
            foreach (var (name, value) in request.Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
            if (_digest is { } known)
            {
                // A MediaFleet server's strong ETag is the quoted hex digest (DESIGN.md section 4); another server's
                // strong ETag is used once an answer of this call gave it.
                var etag = _etag ?? new EntityTagHeaderValue("\"" + known.Hex + "\"");
                if (request.IfMatch)
                {
                    message.Headers.IfMatch.Add(etag);
                }
                if (have > 0)
                {
                    message.Headers.Range = new RangeHeaderValue(have, null);
                    message.Headers.IfRange = new RangeConditionHeaderValue(etag);
                }
            }
            using var silence = new CancellationTokenSource(idle, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, silence.Token);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new DownloadFailedException(DownloadFailure.Unreachable, _source + " unreachable: " + e.Message, e);
            }
            catch (OperationCanceledException) when (silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new DownloadFailedException(DownloadFailure.Silent, $"{_source} did not answer within {_idleText} s");
            }
            using (response)
            {
                var resumed = CheckAnswer(response, have);
                if (!resumed && have > 0)
                {
                    // A whole body instead of the rest: what the partial file held is replaced.
                    hash.GetHashAndReset();
                    have = 0;
                }
                if (resumed)
                {
                    request.Resumed?.Invoke();
                }
                var total = request.Size ?? (resumed ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength);
                have += await CopyBodyAsync(response, partial, resumed, have, total, hash, silence, linked.Token, cancellationToken).ConfigureAwait(false);
            }
            var digest = Sha256Digest.FromBytes(hash.GetHashAndReset());
            if (digest != _digest)
            {
                File.Delete(partial);
                throw new DownloadFailedException(DownloadFailure.DigestMismatch, $"digest mismatch: the bytes from {_source} hash to {digest.Hex}, not the expected {_digest?.Hex}")
                {
                    Received = digest,
                    Expected = _digest,
                };
            }
            return new DurableWrite(partial, digest, have);
        }

        /// <summary>Hashes the bytes an earlier attempt left; a partial file nothing can vouch for is started over.</summary>
        private async Task<long> ReadPartialAsync(string partial, IncrementalHash hash, CancellationToken cancellationToken)
        {
            if (!File.Exists(partial))
            {
                return 0;
            }
            if (_digest is null)
            {
                File.Delete(partial);
                return 0;
            }
            long have = 0;
            await using var existing = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, ReadSize, FileOptions.SequentialScan);
            var buffer = new byte[ReadSize];
            int read;
            while ((read = await existing.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                have += read;
            }
            return have;
        }

        /// <summary>Throws for an answer without the wanted bytes; returns whether it resumes (206) after <paramref name="have"/>.</summary>
        private bool CheckAnswer(HttpResponseMessage response, long have)
        {
            if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw new DownloadFailedException(DownloadFailure.OtherVersion, _source + " holds another version of this file") { StatusCode = response.StatusCode, Expected = _digest };
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                File.Delete(request.PartialPath);
                throw new DownloadFailedException(DownloadFailure.RangeRefused, _source + " refused the resume range; starting over next time") { StatusCode = response.StatusCode };
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new DownloadFailedException(DownloadFailure.Refused, $"{_source} answered {(int)response.StatusCode} {response.ReasonPhrase}") { StatusCode = response.StatusCode };
            }
            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (resumed && response.Content.Headers.ContentRange?.From != have)
            {
                File.Delete(request.PartialPath);
                throw new DownloadFailedException(DownloadFailure.RangeRefused, $"{_source} answered another range than bytes {have}-; starting over next time") { StatusCode = response.StatusCode };
            }
            if (response.Headers.ETag is { IsWeak: false } etag)
            {
                _etag = etag;
            }
            var header = response.Headers.TryGetValues("Repr-Digest", out var values) ? string.Join(',', values) : null;
            var status = DigestFields.TryGetSha256(header, out var announced);
            if (_digest is null || (request.Sha256 is null && !resumed && status == DigestFieldStatus.Found))
            {
                // Learned once per representation: a whole body (200) may bring a newer one than an earlier attempt's.
                _digest = status == DigestFieldStatus.Found
                    ? announced
                    : throw new DownloadFailedException(DownloadFailure.NoDigest, $"{_source} sent no sha-256 Repr-Digest to check the bytes against");
            }
            else if (status == DigestFieldStatus.Found && announced != _digest)
            {
                throw new DownloadFailedException(DownloadFailure.OtherVersion, $"{_source} announces digest {announced.Hex}, not the expected {_digest.Value.Hex}") { Expected = _digest };
            }
            return resumed;
        }

        private async Task<long> CopyBodyAsync(HttpResponseMessage response, string partial, bool resumed, long have, long? total, IncrementalHash hash,
            CancellationTokenSource silence, CancellationToken linked, CancellationToken cancellationToken)
        {
            var received = have;
            var progress = request.Progress;
            progress?.Invoke(new DownloadProgress(received, total, 0));
            try
            {
                await using var body = new IdleTimeoutStream(await response.Content.ReadAsStreamAsync(linked).ConfigureAwait(false), silence, idle);
                await using var file = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                Action<int>? written = progress is null ? null : chunk => progress(new DownloadProgress(received += chunk, total, chunk));
                return await HashingCopier.CopyAsync(body, file, request.Budget?.Invoke() ?? long.MaxValue, hash, written, linked, request.FlushToDisk).ConfigureAwait(false);
            }
            catch (InsufficientStorageException e)
            {
                throw new DownloadFailedException(DownloadFailure.InsufficientStorage, $"no room for the bytes from {_source}: {e.Message}", e);
            }
            catch (IOException e) when (Durability.IsDiskFull(e))
            {
                // Not worth resuming at once, and the partial's bytes are what the disk needs back to record anything.
                File.Delete(partial);
                throw new DownloadFailedException(DownloadFailure.DiskFull, "the disk is full: " + e.Message, e);
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
                var why = e is OperationCanceledException ? $"no bytes from {_source} for {_idleText} s" : e.Message;
                throw new DownloadFailedException(DownloadFailure.Interrupted, $"transfer interrupted after {now.ToString(CultureInfo.InvariantCulture)} bytes: {why}", e)
                {
                    Progressed = now > have,
                };
            }
        }
    }
}
