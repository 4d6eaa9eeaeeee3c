using System.Globalization;
using System.Text.Json;
using MediaFleet.Contracts.Files;
using MediaFleet.Hosting;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Store;

namespace MediaFleet.Node.Integrity;

/// <summary>
/// <c>GET /v1/catalog?since=S&amp;epoch=E</c>: this node's copies with their health, one NDJSON line each, for the
/// coordinator's preservation score. Headers <c>MFleet-Catalog-Epoch</c> and <c>MFleet-Catalog-Seq</c> say where this
/// answer ends; asked again with them, the node answers only copies changed since (a gone one with state
/// <c>deleted</c>) and <c>MFleet-Catalog-Full: false</c>. Another epoch (the node restarted) gets a whole listing.
/// A copy listed missing with no row yet (a follower still fetching it) is reported with state <c>missing</c>.
/// </summary>
internal static class CatalogEndpoint
{
    public static void MapCatalog(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/catalog", async (HttpContext context, LibraryStore store, long? since, string? epoch) =>
        {
            var catalog = store.Catalog;
            var changes = catalog.CopyChanges;
            // Read first: whatever changes while the answer is written is sent again next time, never lost.
            var (current, sequence) = changes.Position;
            var full = since is not > 0 || epoch != current;
            var response = context.Response;
            response.ContentType = "application/x-ndjson";
            response.Headers["MFleet-Catalog-Epoch"] = current;
            response.Headers["MFleet-Catalog-Seq"] = sequence.ToString(CultureInfo.InvariantCulture);
            response.Headers["MFleet-Catalog-Full"] = full ? "true" : "false";
            var paths = full
                ? catalog.ListFiles().Select(f => f.Path).Concat(catalog.ListMissing().Select(m => m.Path)).Distinct(StringComparer.Ordinal)
                : changes.TouchedAfter(since!.Value);
            var cancel = context.RequestAborted;
            await using var body = new BufferedStream(response.Body, 64 * 1024);
            foreach (var path in paths)
            {
                if (Describe(catalog, path, full) is { } copy)
                {
                    await JsonSerializer.SerializeAsync(body, copy, ContractJson.Default.CopyDto, cancel).ConfigureAwait(false);
                    body.WriteByte((byte)'\n');
                }
            }
        }).RequireAccess(AccessLevel.Cluster);

    private static CopyDto? Describe(LibraryCatalog catalog, string path, bool full)
    {
        if (catalog.Find(path) is { } file)
        {
            return new CopyDto(file.Path, file.Sha256.Hex, file.Size, file.Version.Value, file.VerifiedAt, file.State.ToString().ToLowerInvariant(), file.Modified);
        }
        if (catalog.FindMissing(path) is { Sha256: { } sha } missing)
        {
            return new CopyDto(path, sha.Hex, 0, missing.Version.Value, null, "missing");
        }
        return full ? null : new CopyDto(path, "", 0, 0, null, "deleted");
    }
}
