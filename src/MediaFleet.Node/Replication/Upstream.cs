using System.Runtime.CompilerServices;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Node.Configuration;

namespace MediaFleet.Node.Replication;

/// <summary>Why a transfer did not install a file; goes into <c>missing.reason</c>.</summary>
public class TransferFailedException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>The follower's view of its upstream: changes, the manifest, and file transfers that resume.</summary>
public sealed class Upstream : IDisposable
{
    private readonly HttpClient _http;
    private readonly NodeClient _client;
    private readonly LibraryStore _store;
    private readonly NodeMetrics _metrics;

    private readonly TimeProvider _time;
    private readonly TimeSpan _transferIdle;

    public Upstream(NodeOptions options, ClusterHttp cluster, LibraryStore store, NodeMetrics metrics, TimeProvider time)
    {
        _time = time;
        _transferIdle = TimeSpan.FromSeconds(options.TransferIdleSeconds);
        _http = cluster.Create(new Uri(options.Upstream!));
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

    /// <summary>Opens the upstream's manifest (one consistent snapshot): its version and counts now, its files as they arrive.</summary>
    public async Task<UpstreamManifest> OpenManifestAsync(CancellationToken cancellationToken)
    {
        using var silence = new CancellationTokenSource(_transferIdle, _time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, silence.Token);
        try
        {
            return new UpstreamManifest(await _client.OpenSnapshotAsync(deadline.Token).ConfigureAwait(false), _transferIdle, _time);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HttpRequestException($"no manifest from upstream within {_transferIdle.TotalSeconds} s");
        }
    }

    /// <summary>
    /// Fetches the file with digest <paramref name="sha256"/> into its partial file, resuming with
    /// Range + If-Range when an earlier attempt left bytes, hashing on the way. Returns the partial file,
    /// complete and verified; throws <see cref="TransferFailedException"/> with the reason otherwise.
    /// </summary>
    /// <param name="flushToDisk">False leaves the bytes in the page cache for an install that flushes its group at once.</param>
    public Task<string> FetchAsync(LibraryPath path, Sha256Digest sha256, long? size, bool flushToDisk, CancellationToken cancellationToken) =>
        PeerFetch.FetchAsync(_http, "upstream", _store, _metrics, path, sha256, size, flushToDisk, _transferIdle, _time, cancellationToken);

    /// <summary>
    /// Fetches many small files in one <c>POST /v1/bundle</c> answer into their partial files; returns those that
    /// arrived whole with the wanted digest (dispose it once they are installed). The rest are for
    /// <see cref="FetchAsync"/> one by one.
    /// </summary>
    public Task<BundleDownload> FetchBundleAsync(IReadOnlyList<WantedFile> wanted, CancellationToken cancellationToken) =>
        BundleFetch.FetchAsync(_http, _store, _metrics, wanted, _transferIdle, _time, cancellationToken);

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

/// <summary>
/// The upstream's manifest being read. Like a transfer it must keep arriving: a connection silent for the transfer idle
/// time is given up, not waited on; the time the reader spends on a line it was given does not count as silence.
/// </summary>
public sealed class UpstreamManifest(ManifestSnapshot snapshot, TimeSpan idle, TimeProvider time) : IDisposable
{
    public DataVersion Version { get; } = new(snapshot.Version);

    /// <summary>How many files the manifest holds, null when the upstream did not say.</summary>
    public long? Files => snapshot.Files;

    /// <summary>How many bytes its files hold, null when the upstream did not say.</summary>
    public long? Bytes => snapshot.Bytes;

    public async IAsyncEnumerable<FileDto> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var silence = new CancellationTokenSource(idle, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, silence.Token);
        var lines = snapshot.ReadAsync(deadline.Token).GetAsyncEnumerator(deadline.Token);
        try
        {
            while (await NextAsync(lines).ConfigureAwait(false))
            {
                silence.CancelAfter(Timeout.InfiniteTimeSpan);
                yield return lines.Current;
                silence.CancelAfter(idle);
            }
        }
        finally
        {
            await lines.DisposeAsync().ConfigureAwait(false);
        }

        async ValueTask<bool> NextAsync(IAsyncEnumerator<FileDto> enumerator)
        {
            try
            {
                return await enumerator.MoveNextAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new HttpRequestException($"the manifest stopped arriving for {idle.TotalSeconds} s");
            }
        }
    }

    public void Dispose() => snapshot.Dispose();
}
