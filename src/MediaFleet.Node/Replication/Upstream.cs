using MediaFleet.Contracts.Hosting;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Node.Configuration;

namespace MediaFleet.Node.Replication;

/// <summary>Why a transfer did not install a file; goes into <c>missing.reason</c>.</summary>
public sealed class TransferFailedException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>The follower's view of its upstream: changes, the manifest, and file transfers that resume.</summary>
public sealed class Upstream : IDisposable
{
    private readonly HttpClient _http;
    private readonly NodeClient _client;
    private readonly LibraryStore _store;
    private readonly NodeMetrics _metrics;

    private readonly TimeProvider _time;

    public Upstream(NodeOptions options, AuthOptions auth, LibraryStore store, NodeMetrics metrics, TimeProvider time)
    {
        _time = time;
        _http = NodeClient.CreateHttp(new Uri(options.Upstream!), auth.Token);
        _client = new NodeClient(_http);
        _store = store;
        _metrics = metrics;
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>
    /// A long-poll for changes. It gives up 30 s after the wait should have ended, so an upstream that vanished
    /// without closing the connection (a cable pulled, a host frozen) is noticed and retried.
    /// </summary>
    public async Task<ChangesDto> GetChangesAsync(DataVersion since, int limit, int waitSeconds, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(waitSeconds + 30), _time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await _client.GetChangesAsync(since.Value, limit, deadline.Token, waitSeconds).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HttpRequestException($"no answer from upstream within {waitSeconds + 30} s");
        }
    }

    /// <summary>The upstream's manifest: its version and every file (one consistent snapshot).</summary>
    public async Task<(DataVersion Version, IReadOnlyList<FileDto> Files)> GetManifestAsync(CancellationToken cancellationToken)
    {
        var (version, files) = await _client.GetSnapshotAsync(cancellationToken).ConfigureAwait(false);
        return (new DataVersion(version), files);
    }

    /// <summary>
    /// Fetches the file with digest <paramref name="sha256"/> into its partial file, resuming with
    /// Range + If-Range when an earlier attempt left bytes, hashing on the way. Returns the partial file,
    /// complete and verified; throws <see cref="TransferFailedException"/> with the reason otherwise.
    /// </summary>
    public async Task<string> FetchAsync(LibraryPath path, Sha256Digest sha256, long? size, CancellationToken cancellationToken)
    {
        if (!_store.HasRoomFor(size))
        {
            throw new TransferFailedException("disk below ReserveBytes");
        }
        var partial = _store.PartialPath(sha256, path);
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
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new TransferFailedException("upstream unreachable: " + e.Message, e);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw new TransferFailedException("upstream holds another version of this path");
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                File.Delete(partial);
                throw new TransferFailedException("upstream refused the resume range; starting over next time");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new TransferFailedException($"upstream answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (!resumed && have > 0)
            {
                hash.GetHashAndReset();
                have = 0;
            }
            if (resumed)
            {
                _metrics.Resumed();
            }
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using var file = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                have += await HashingCopier.CopyAsync(body, file, _store.FreeBytes - _store.ReserveBytes, hash, _metrics.Transferred, cancellationToken).ConfigureAwait(false);
            }
            catch (InsufficientStorageException)
            {
                throw new TransferFailedException("disk below ReserveBytes");
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // The bytes so far stay in the partial file: the next attempt resumes after them.
                throw new TransferFailedException("transfer interrupted after " + have.ToString(CultureInfo.InvariantCulture) + " bytes: " + e.Message, e);
            }
        }
        var digest = Sha256Digest.FromBytes(hash.GetHashAndReset());
        if (digest != sha256)
        {
            File.Delete(partial);
            throw new TransferFailedException($"digest mismatch: upstream bytes hash to {digest.Hex}, the changelog says {sha256.Hex}");
        }
        _metrics.Fetched();
        return partial;
    }

    /// <summary>Streams <c>GET/HEAD /files/{path}</c> from upstream to a client (read-through for a missing file).</summary>
    public async Task ProxyAsync(HttpContext context, LibraryPath path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), NodeClient.FileUri(path.Value));
        foreach (var name in (string[])["Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match"])
        {
            if (context.Request.Headers.TryGetValue(name, out var value))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value);
            }
        }
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key is not ("Transfer-Encoding" or "Connection" or "Keep-Alive" or "Date" or "Server"))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }
        await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
        await body.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();
}
