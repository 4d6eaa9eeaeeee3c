using System.Text.Json;
using MediaFleet.Contracts.Files;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Problems;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Scrub;
using MediaFleet.Library.Store;

namespace MediaFleet.Node.Integrity;

/// <summary>
/// <c>POST /v1/verify?prefix=P</c>: re-hashes every copy under the prefix now, without the scrub budget, streaming one
/// NDJSON line per copy and a last <c>done</c> line; bad copies (unreadable ones too) are quarantined and healed as the
/// scrub would, and the verify goes on past them.
/// </summary>
internal static class VerifyEndpoint
{
    public static void MapVerify(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/verify", async (HttpContext context, LibraryStore store, Scrubber scrubber, ScrubProgress progress, IHostApplicationLifetime lifetime, string? prefix) =>
        {
            prefix = (prefix ?? "").Trim('/');
            if (prefix.Length > 0 && !LibraryPath.TryParse(prefix, out _, out var error))
            {
                await Problem.Of(ProblemTypes.InvalidPath, $"prefix: {error}").ExecuteAsync(context).ConfigureAwait(false);
                return;
            }
            var files = store.Catalog.ListFiles(prefix).Where(f => f.State == FileState.Ok).ToList();
            var response = context.Response;
            response.ContentType = "application/x-ndjson";
            // A verify of a whole library may take hours: SIGTERM ends it at once rather than holding shutdown back.
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            var cancel = stopping.Token;
            long done = 0, bad = 0;
            try
            {
                foreach (var entry in files)
                {
                    var result = await scrubber.CheckAsync(entry, budget: null, cancel, progress.AddBytes).ConfigureAwait(false);
                    progress.Record(result);
                    done++;
                    bad += result.Outcome == CheckOutcome.Bad ? 1 : 0;
                    await WriteAsync(response, new VerifyLineDto(result.Outcome.ToString().ToLowerInvariant(), result.Path, result.Detail, done, files.Count, bad), cancel).ConfigureAwait(false);
                }
                await WriteAsync(response, new VerifyLineDto("done", null, $"{done} checked, {bad} bad", done, files.Count, bad), cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // The answer ends without its done line: the client sees that the verify did not finish.
                context.Abort();
            }
        }).RequireAccess(AccessLevel.Write);

    private static async Task WriteAsync(HttpResponse response, VerifyLineDto line, CancellationToken cancellationToken)
    {
        await JsonSerializer.SerializeAsync(response.Body, line, ContractJson.Default.VerifyLineDto, cancellationToken).ConfigureAwait(false);
        await response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
