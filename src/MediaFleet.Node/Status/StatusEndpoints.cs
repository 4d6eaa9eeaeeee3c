using System.Globalization;
using MediaFleet.Contracts.Files;
using MediaFleet.Library.Store;
using MediaFleet.Hosting;
using MediaFleet.Node.Configuration;
using MediaFleet.Node.Flags;
using MediaFleet.Node.Integrity;
using MediaFleet.Node.Library;

namespace MediaFleet.Node.Status;

/// <summary><c>/healthz</c>, <c>/v1/status</c> and <c>/v1/missing</c>.</summary>
public static class StatusEndpoints
{
    public static void MapStatus(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("ok\n"));
        app.MapGet("/v1/status", (LibraryStore store, NodeOptions options, ScrubOptions scrub, ScrubProgress progress, StartupScanProgress startup) =>
                TypedResults.Json(Describe(store, options) with
                {
                    Scrub = progress.Describe(scrub.BudgetMBps > 0),
                    StartupScan = startup.Describe(store.Catalog.IndexLoaded.IsCompletedSuccessfully),
                }, ContractJson.Default.StatusDto))
            .RequireAccess(AccessLevel.Read);
        app.MapGet("/v1/missing", (LibraryStore store) =>
        {
            IReadOnlyList<MissingDto> list = store.Catalog.ListMissing()
                .Select(m => new MissingDto(m.Path, m.Version.Value, m.Sha256?.Hex, m.Reason, m.Attempts, m.NextTryAt)).ToList();
            return TypedResults.Json(list, ContractJson.Default.IReadOnlyListMissingDto);
        }).RequireAccess(AccessLevel.Read);
    }

    public static StatusDto Describe(LibraryStore store, NodeOptions options)
    {
        var catalog = store.Catalog;
        return new StatusDto(
            options.Id ?? catalog.NodeId,
            options.Primary,
            options.Upstream,
            catalog.Version.Value,
            catalog.SeenVersion.Value,
            catalog.MissingCount,
            catalog.FileCount,
            catalog.TotalBytes,
            store.FreeBytes,
            SystemLoad.Read(),
            ForceFlags.IsSet(store, ForceFlags.Down),
            ForceFlags.IsSet(store, ForceFlags.Backup),
            options.Site);
    }
}

/// <summary>Load as DESIGN.md section 6 defines it: the 1-minute load average divided by the logical cores.</summary>
public static class SystemLoad
{
    public static double Read()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return Math.Round(double.Parse(first, CultureInfo.InvariantCulture) / Environment.ProcessorCount, 3);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
