using System.Globalization;
using System.Text.Json;
using MediaFleet.Contracts.Files;
using MediaFleet.Contracts.Problems;
using MediaFleet.Library.Adopt;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Hosting;
using MediaFleet.Node.Configuration;
using MediaFleet.Node.Files;

namespace MediaFleet.Node.Library;

/// <summary>Library routes beside the file API: moves, the changelog, the manifest and adopt.</summary>
public static class LibraryEndpoints
{
    private const int MaxChangesPerAnswer = 10_000;
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    public static void MapLibrary(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/moves", MoveAsync).RequireAccess(AccessLevel.Write);
        v1.MapGet("/changes", ChangesAsync).RequireAccess(AccessLevel.Cluster);
        v1.MapGet("/manifest", ManifestAsync).RequireAccess(AccessLevel.Cluster);
        v1.MapPost("/adopt", AdoptAsync).RequireAccess(AccessLevel.Write);
        v1.MapPost("/compact", CompactAsync).RequireAccess(AccessLevel.Write);
    }

    private static async Task MoveAsync(HttpContext context, LibraryStore store, NodeOptions options)
    {
        if (!options.Primary && options.Upstream is { } upstream)
        {
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = upstream.TrimEnd('/') + "/v1/moves";
            return;
        }
        MoveRequest? move;
        try
        {
            move = await context.Request.ReadFromJsonAsync(ContractJson.Default.MoveRequest, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            await Problem.Of(ProblemTypes.InvalidRequest, "the body must be JSON {\"from\": PATH, \"to\": PATH}").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (move?.From is null || move.To is null)
        {
            await Problem.Of(ProblemTypes.InvalidRequest, "the body must be JSON {\"from\": PATH, \"to\": PATH}").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (!LibraryPath.TryParse(move.From, out var from, out var error) || !LibraryPath.TryParse(move.To, out var to, out error))
        {
            await Problem.Of(ProblemTypes.InvalidPath, error).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        var result = await store.MoveAsync(from, to, context.RequestAborted).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            await FileHandler.WriteFailureAsync(context, result, from).ConfigureAwait(false);
            return;
        }
        await context.Response.WriteAsJsonAsync(new VersionDto(result.Version!.Value.Value), ContractJson.Default.VersionDto, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<IResult> ChangesAsync(LibraryStore store, IHostApplicationLifetime lifetime, CancellationToken cancellationToken, long since = 0, int limit = 1000, double wait = 0)
    {
        // "!(wait >= 0)" also refuses NaN, which TimeSpan.FromSeconds would throw on.
        if (since < 0 || limit <= 0 || !(wait >= 0))
        {
            return Problem.Of(ProblemTypes.InvalidRequest, "since, limit and wait must not be negative; limit above 0");
        }
        var catalog = store.Catalog;
        var compacted = catalog.CompactedThrough;
        if (since < compacted.Value)
        {
            return Problem.Of(ProblemTypes.ChangesCompacted, string.Create(CultureInfo.InvariantCulture, $"changes up to {compacted} were compacted; provision from /v1/manifest"));
        }
        // A long-poll ends early when the node stops, so a graceful shutdown never waits out a follower's poll.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            await catalog.WaitForChangeAsync(new DataVersion(since), TimeSpan.FromSeconds(Math.Min(wait, MaxWait.TotalSeconds)), stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Stopping: answer with what there is.
        }
        var version = catalog.Version;
        var changes = await catalog.ReadChangesAsync(new DataVersion(since), Math.Min(limit, MaxChangesPerAnswer), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new ChangesDto(version.Value, changes.Select(ToDto).ToList()), ContractJson.Default.ChangesDto);
    }

    /// <summary>Drops changelog entries older than the newest <c>keep</c> versions; followers behind that provision again.</summary>
    private static async Task<IResult> CompactAsync(LibraryStore store, NodeOptions options, CancellationToken cancellationToken, long keep = -1)
    {
        if (!options.Primary)
        {
            return Problem.Of(ProblemTypes.NotPrimary, "compact the primary's changelog; followers keep what they are given");
        }
        if (keep < 0)
        {
            return Problem.Of(ProblemTypes.InvalidRequest, "keep=N (0 or more versions to keep) is required");
        }
        var through = await store.CompactAsync(keep, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new CompactedDto(store.Catalog.Version.Value, through.Value), ContractJson.Default.CompactedDto);
    }

    private static ChangeDto ToDto(ChangeEntry c) =>
        new(c.Version.Value, c.Op.ToString().ToLowerInvariant(), c.Path, c.To, c.Sha256?.Hex, c.Size, c.At);

    private static async Task ManifestAsync(HttpContext context, LibraryStore store, string prefix = "")
    {
        await using var manifest = await store.Catalog.OpenManifestAsync(prefix, context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = "application/x-ndjson";
        context.Response.Headers["MFleet-Version"] = manifest.Version.ToString();
        // A follower that provisions sees its whole task at once (progress, and whether it is a bulk load) while it
        // checks the first lines.
        var (files, bytes) = manifest.Totals();
        context.Response.Headers["MFleet-Files"] = files.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["MFleet-Bytes"] = bytes.ToString(CultureInfo.InvariantCulture);
        await WriteLinesAsync(context, manifest.ReadAsync(context.RequestAborted).Select(f => new FileDto(f.Path, f.Sha256.Hex, f.Size, f.Version.Value)), ContractJson.Default.FileDto, flushEvery: 256).ConfigureAwait(false);
    }

    private static async Task AdoptAsync(HttpContext context, LibraryStore store, NodeOptions options, string prefix = "")
    {
        if (!options.Primary)
        {
            await Problem.Of(ProblemTypes.NotPrimary, "adopt runs on the primary: only it assigns versions").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (prefix.Length > 0)
        {
            if (!LibraryPath.TryParse(prefix.TrimEnd('/'), out var start, out var error))
            {
                await Problem.Of(ProblemTypes.InvalidPath, error).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }
            // The walk skips links below its start but follows the start itself: a linked prefix would adopt outside files.
            if (!store.Root.StaysInside(start))
            {
                await Problem.Of(ProblemTypes.InvalidPath, "the prefix leads outside the library through a symlink").ExecuteAsync(context).ConfigureAwait(false);
                return;
            }
        }
        context.Response.ContentType = "application/x-ndjson";
        var events = new Adopter(store).AdoptAsync(prefix, context.RequestAborted)
            .Select(e => new AdoptLineDto(e.Kind.ToString().ToLowerInvariant(), e.Path, e.Done, e.Total, e.Version, e.Sha256, e.Detail));
        await WriteLinesAsync(context, events, ContractJson.Default.AdoptLineDto, flushEvery: 256).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes one JSON document per line. Lines go out whenever the next one is not ready yet (so progress reaches the
    /// client live) and at least every <paramref name="flushEvery"/> lines; lines that are ready share a send (adopt
    /// sent one packet per file, and the client's CPU went on receiving them).
    /// </summary>
    private static async Task WriteLinesAsync<T>(HttpContext context, IAsyncEnumerable<T> items, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, int flushEvery)
    {
        var body = context.Response.BodyWriter;
        var newline = "\n"u8.ToArray();
        var unflushed = 0;
        await using var lines = items.GetAsyncEnumerator(context.RequestAborted);
        while (true)
        {
            var next = lines.MoveNextAsync();
            if (!next.IsCompleted && unflushed > 0)
            {
                await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                unflushed = 0;
            }
            if (!await next.ConfigureAwait(false))
            {
                break;
            }
            await using (var writer = new Utf8JsonWriter(body))
            {
                JsonSerializer.Serialize(writer, lines.Current, type);
            }
            await body.WriteAsync(newline, context.RequestAborted).ConfigureAwait(false);
            if (++unflushed == flushEvery)
            {
                await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                unflushed = 0;
            }
        }
        await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
