using System.Text.Json;
using MediaFleet.Contracts.Files;
using MediaFleet.Contracts.Problems;
using MediaFleet.Library.Store;
using MediaFleet.Hosting;

namespace MediaFleet.Node.Flags;

/// <summary>
/// The force bits of DESIGN.md section 6, kept as the files <c>.mfleet/force_down</c> and <c>.mfleet/force_backup</c>:
/// they survive restarts, and an operator may create or remove them by hand with the same effect.
/// </summary>
public static class ForceFlags
{
    public const string Down = "force_down";
    public const string Backup = "force_backup";

    public static bool IsSet(LibraryStore store, string flag) => File.Exists(Path.Combine(store.Root.StateFolder, flag));

    public static FlagsDto Read(LibraryStore store) => new(IsSet(store, Down), IsSet(store, Backup));

    public static void Set(LibraryStore store, string flag, bool on)
    {
        var file = Path.Combine(store.Root.StateFolder, flag);
        if (on)
        {
            using var stream = new FileStream(file, FileMode.Create, FileAccess.Write);
            stream.Flush(flushToDisk: true);
        }
        else
        {
            File.Delete(file);
        }
    }

    public static void MapFlags(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/flags", async (HttpContext context, LibraryStore store) =>
        {
            FlagsRequest? request;
            try
            {
                request = await context.Request.ReadFromJsonAsync(ContractJson.Default.FlagsRequest, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                return Problem.Of(ProblemTypes.InvalidRequest, "the body must be JSON {\"force_down\"?: bool, \"force_backup\"?: bool}");
            }
            if (request is null)
            {
                return Problem.Of(ProblemTypes.InvalidRequest, "the body must be JSON {\"force_down\"?: bool, \"force_backup\"?: bool}");
            }
            if (request.ForceDown is { } down)
            {
                Set(store, Down, down);
            }
            if (request.ForceBackup is { } backup)
            {
                Set(store, Backup, backup);
            }
            return TypedResults.Json(Read(store), ContractJson.Default.FlagsDto);
        }).RequireAccess(AccessLevel.Write);
}
