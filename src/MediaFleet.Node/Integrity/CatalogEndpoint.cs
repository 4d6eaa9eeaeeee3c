using System.Globalization;
using System.Text.Json;
using MediaFleet.Contracts.Files;
using MediaFleet.Contracts.Hosting;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Store;

namespace MediaFleet.Node.Integrity;

/// <summary>
/// <c>GET /v1/catalog?since=V</c>: every copy this node holds with its health, one NDJSON line each, for the
/// coordinator's preservation score; with <c>since</c>, only copies of changes after version V. A copy listed missing
/// that the catalog has no row for yet (a follower still fetching it) is reported with state <c>missing</c>.
/// </summary>
internal static class CatalogEndpoint
{
    public static void MapCatalog(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/catalog", async (HttpContext context, LibraryStore store, long? since) =>
        {
            var after = since ?? 0;
            var response = context.Response;
            response.ContentType = "application/x-ndjson";
            response.Headers["MFleet-Version"] = store.Catalog.Version.Value.ToString(CultureInfo.InvariantCulture);
            var cancel = context.RequestAborted;
            var listed = new HashSet<string>(StringComparer.Ordinal);
            await using var body = new BufferedStream(response.Body, 64 * 1024);
            foreach (var file in store.Catalog.ListFiles())
            {
                listed.Add(file.Path);
                if (file.Version.Value > after)
                {
                    await WriteAsync(body, new CopyDto(file.Path, file.Sha256.Hex, file.Size, file.Version.Value, file.VerifiedAt, file.State.ToString().ToLowerInvariant(), file.Modified), cancel).ConfigureAwait(false);
                }
            }
            foreach (var missing in store.Catalog.ListMissing())
            {
                if (!listed.Contains(missing.Path) && missing.Sha256 is { } sha && missing.Version.Value > after)
                {
                    await WriteAsync(body, new CopyDto(missing.Path, sha.Hex, 0, missing.Version.Value, null, "missing"), cancel).ConfigureAwait(false);
                }
            }
        }).RequireAccess(AccessLevel.Cluster);

    private static async Task WriteAsync(Stream body, CopyDto copy, CancellationToken cancellationToken)
    {
        await JsonSerializer.SerializeAsync(body, copy, ContractJson.Default.CopyDto, cancellationToken).ConfigureAwait(false);
        body.WriteByte((byte)'\n');
    }
}
