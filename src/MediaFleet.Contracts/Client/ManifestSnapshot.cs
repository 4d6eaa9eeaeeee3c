using System.Globalization;
using System.Runtime.CompilerServices;
using MediaFleet.Contracts.Files;

namespace MediaFleet.Contracts.Client;

/// <summary>
/// <c>GET /v1/manifest</c> opened: the version it is a snapshot of (<c>MFleet-Version</c>), how many files and bytes it
/// holds (<c>MFleet-Files</c>, <c>MFleet-Bytes</c>; null when the node did not say) and its lines, read as they arrive.
/// Owns the answer; dispose it (twice is harmless).
/// </summary>
public sealed class ManifestSnapshot : IDisposable
{
    private readonly HttpResponseMessage _response;

    internal ManifestSnapshot(HttpResponseMessage response)
    {
        _response = response;
        Version = long.Parse(response.Headers.GetValues("MFleet-Version").Single(), CultureInfo.InvariantCulture);
        Files = Number("MFleet-Files");
        Bytes = Number("MFleet-Bytes");
    }

    public long Version { get; }

    public long? Files { get; }

    public long? Bytes { get; }

    /// <summary>The manifest's lines in path order; read once.</summary>
    public async IAsyncEnumerable<FileDto> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var file in NodeClient.ReadLinesAsync(_response, ContractJson.Default.FileDto, cancellationToken).ConfigureAwait(false))
        {
            yield return file;
        }
    }

    public void Dispose() => _response.Dispose();

    private long? Number(string header) =>
        _response.Headers.TryGetValues(header, out var values) && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
