using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using MediaFleet.Contracts.Files;
using MediaFleet.Contracts.Problems;
using MediaFleet.Contracts.Tls;

namespace MediaFleet.Contracts.Client;

/// <summary>A failed call to a MediaFleet role: the HTTP status and the problem slug it answered with.</summary>
public sealed class MediaFleetException(HttpStatusCode status, string? slug, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The problem slug (e.g. <c>digest-mismatch</c>), null when the answer was not a problem document.</summary>
    public string? Slug { get; } = slug;
}

/// <summary>A typed client for a node's file API, used by the CLI and by tests.</summary>
public sealed class NodeClient
{
    private readonly HttpClient _http;
    private readonly ClusterHttp? _cluster;
    private readonly TimeProvider _time = TimeProvider.System;

    public NodeClient(HttpClient http) => _http = http;

    /// <summary>A client of <paramref name="node"/> that calls as <paramref name="cluster"/> says and can also upload in one pass (<see cref="PutFileWithDigestTrailerAsync"/>).</summary>
    public NodeClient(ClusterHttp cluster, Uri node, TimeProvider? time = null) : this(cluster.Create(node))
    {
        _cluster = cluster;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// An HttpClient for <paramref name="node"/> that sends <paramref name="token"/> as a bearer token and trusts the
    /// system store (a role's own clients come from its <see cref="ClusterHttp"/>).
    /// </summary>
    public static HttpClient CreateHttp(Uri node, string? token) => new ClusterHttp(token, ClientTls.System).Create(node);

    /// <summary>The request URI of a library path: each segment percent-encoded.</summary>
    public static string FileUri(string path) => "files/" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>Streams <paramref name="content"/> to <c>PUT /files/{path}</c>, announcing its digest so the node checks it.</summary>
    public async Task<(FileDto File, bool Created)> PutFileAsync(string path, Stream content, long length, string? reprDigest, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, FileUri(path));
        request.Content = new StreamContent(content, 1 << 20);
        request.Content.Headers.ContentLength = length;
        if (reprDigest is not null)
        {
            request.Headers.TryAddWithoutValidation("Repr-Digest", reprDigest);
        }
        // A node that refuses (507, 401, 400) answers before the body is sent.
        request.Headers.ExpectContinue = true;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var file = await response.Content.ReadFromJsonAsync(ContractJson.Default.FileDto, cancellationToken).ConfigureAwait(false);
        return (file!, response.StatusCode == HttpStatusCode.Created);
    }

    /// <summary>
    /// Streams <paramref name="content"/> to <c>PUT /files/{path}</c> reading it once, to its end (a pipe will do): SHA-256
    /// on the way and the digest sent after the body as a <c>Repr-Digest</c> trailer, which the node checks before it
    /// installs anything. Returns what the node stored and the hex SHA-256 of what was sent. A follower's 307 is
    /// followed up the tree.
    /// </summary>
    public async Task<(FileDto File, bool Created, string Sha256)> PutFileWithDigestTrailerAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        var cluster = _cluster ?? throw new InvalidOperationException("a one-pass upload needs a NodeClient made with a ClusterHttp");
        var answer = await new TrailerPut(cluster, _time).SendAsync(new Uri(_http.BaseAddress!, FileUri(path)), content, cancellationToken).ConfigureAwait(false);
        using var response = answer.Response;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        if (answer.Sha256 is null)
        {
            throw new HttpRequestException($"the node answered {(int)response.StatusCode} before the upload of {path} ended");
        }
        var file = await response.Content.ReadFromJsonAsync(ContractJson.Default.FileDto, cancellationToken).ConfigureAwait(false);
        return (file!, response.StatusCode == HttpStatusCode.Created, answer.Sha256);
    }

    public async Task DeleteFileAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.DeleteAsync(FileUri(path), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> MoveAsync(string from, string to, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("v1/moves", new MoveRequest(from, to), ContractJson.Default.MoveRequest, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var version = await response.Content.ReadFromJsonAsync(ContractJson.Default.VersionDto, cancellationToken).ConfigureAwait(false);
        return version!.Version;
    }

    public async Task<StatusDto> GetStatusAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("v1/status", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ContractJson.Default.StatusDto, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary><c>GET /v1/changes</c>; with <paramref name="waitSeconds"/> above 0 it long-polls for news.</summary>
    public async Task<ChangesDto> GetChangesAsync(long since, int limit, CancellationToken cancellationToken, int waitSeconds = 0)
    {
        using var response = await _http.GetAsync(string.Create(CultureInfo.InvariantCulture, $"v1/changes?since={since}&limit={limit}&wait={waitSeconds}"), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ContractJson.Default.ChangesDto, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<CompactedDto> CompactAsync(long keep, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync(string.Create(CultureInfo.InvariantCulture, $"v1/compact?keep={keep}"), null, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ContractJson.Default.CompactedDto, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Sets or clears a node's force bits (null leaves a bit as it is).</summary>
    public async Task<FlagsDto> SetFlagsAsync(bool? forceDown, bool? forceBackup, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("v1/flags", new FlagsRequest(forceDown, forceBackup), ContractJson.Default.FlagsRequest, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ContractJson.Default.FlagsDto, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<IReadOnlyList<MissingDto>> GetMissingAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("v1/missing", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ContractJson.Default.IReadOnlyListMissingDto, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Opens the whole manifest (<c>GET /v1/manifest</c>): its version and counts now, its lines as they arrive.</summary>
    public async Task<ManifestSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken)
    {
        var response = await _http.GetAsync("v1/manifest", HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            return new ManifestSnapshot(response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The whole manifest read into a list, with the version it is a snapshot of.</summary>
    public async Task<(long Version, IReadOnlyList<FileDto> Files)> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        using var snapshot = await OpenSnapshotAsync(cancellationToken).ConfigureAwait(false);
        var files = new List<FileDto>();
        await foreach (var file in snapshot.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            files.Add(file);
        }
        return (snapshot.Version, files);
    }

    /// <summary>The files under <paramref name="prefix"/>, streamed from <c>GET /v1/manifest</c>.</summary>
    public IAsyncEnumerable<FileDto> GetManifestAsync(string prefix, CancellationToken cancellationToken) =>
        ReadLinesAsync(new HttpRequestMessage(HttpMethod.Get, "v1/manifest?prefix=" + Uri.EscapeDataString(prefix)), ContractJson.Default.FileDto, cancellationToken);

    /// <summary>Starts <c>POST /v1/adopt</c> and streams its progress lines.</summary>
    public IAsyncEnumerable<AdoptLineDto> AdoptAsync(string prefix, CancellationToken cancellationToken) =>
        ReadLinesAsync(new HttpRequestMessage(HttpMethod.Post, "v1/adopt?prefix=" + Uri.EscapeDataString(prefix)), ContractJson.Default.AdoptLineDto, cancellationToken);

    /// <summary>
    /// <c>GET /v1/catalog</c>: with the <paramref name="epoch"/> and <paramref name="since"/> of an earlier answer, only the
    /// copies changed since; otherwise (or after the node restarted) every copy.
    /// </summary>
    public async Task<CatalogPage> GetCatalogAsync(long since, string? epoch, CancellationToken cancellationToken)
    {
        var uri = "v1/catalog?since=" + since.ToString(CultureInfo.InvariantCulture) + (epoch is null ? "" : "&epoch=" + Uri.EscapeDataString(epoch));
        using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var copies = new List<CopyDto>();
        await foreach (var copy in ReadLinesAsync(response, ContractJson.Default.CopyDto, cancellationToken).ConfigureAwait(false))
        {
            copies.Add(copy);
        }
        string Header(string name) => response.Headers.TryGetValues(name, out var values) ? values.First() : "";
        return new CatalogPage(Header("MFleet-Catalog-Epoch"), long.TryParse(Header("MFleet-Catalog-Seq"), CultureInfo.InvariantCulture, out var seq) ? seq : 0,
            Header("MFleet-Catalog-Full") != "false", copies);
    }

    /// <summary>Starts <c>POST /v1/verify</c> (re-hash now) and streams one line per checked copy, then <c>done</c>.</summary>
    public IAsyncEnumerable<VerifyLineDto> VerifyAsync(string prefix, CancellationToken cancellationToken) =>
        ReadLinesAsync(new HttpRequestMessage(HttpMethod.Post, "v1/verify?prefix=" + Uri.EscapeDataString(prefix)), ContractJson.Default.VerifyLineDto, cancellationToken);

    private async IAsyncEnumerable<T> ReadLinesAsync<T>(HttpRequestMessage request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            await foreach (var item in ReadLinesAsync(response, type, cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
    }

    internal static async IAsyncEnumerable<T> ReadLinesAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize(line, type)!;
            }
        }
    }

    /// <summary>Turns a failed answer into a <see cref="MediaFleetException"/> carrying the problem's slug and detail.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        ProblemDto? problem = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync(ContractJson.Default.ProblemDto, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // Not a problem document after all; the status line says enough.
            }
        }
        var message = problem?.Detail ?? problem?.Title ?? $"{(int)response.StatusCode} {response.ReasonPhrase}";
        throw new MediaFleetException(response.StatusCode, ProblemTypes.SlugOf(problem?.Type), message);
    }
}
