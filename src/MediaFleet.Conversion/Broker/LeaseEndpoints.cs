using System.Text.Json;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Contracts.Problems;
using MediaFleet.Hosting;
using MediaFleet.Library.Digests;

namespace MediaFleet.Conversion.Broker;

/// <summary>
/// The worker protocol (cluster token): lease a job, fetch its input, report progress (which renews the lease), upload
/// the output, report a failed attempt, or hand the job back. Every call about a job carries the lease's token in
/// <c>MFleet-Lease</c>; a call whose lease is lost gets 409 <c>lease-lost</c>.
/// </summary>
internal static class LeaseEndpoints
{
    private const int MaxWaitSeconds = 60;

    public static void MapLeases(this IEndpointRouteBuilder app)
    {
        var leases = app.MapGroup("/v1/leases").RequireAccess(AccessLevel.Cluster);
        leases.MapPost("", LeaseAsync);
        leases.MapGet("/{id}/input", Input);
        leases.MapPost("/{id}/progress", ProgressAsync);
        leases.MapPut("/{id}/output", OutputAsync);
        leases.MapPost("/{id}/failure", FailureAsync);
        leases.MapDelete("/{id}", Release);
    }

    private static async Task<IResult> LeaseAsync(HttpContext context, JobQueue queue, BrokerOptions options, int? wait)
    {
        if (wait is < 0 or > MaxWaitSeconds)
        {
            return Problem.Of(ProblemTypes.InvalidRequest, $"wait must be between 0 and {MaxWaitSeconds} seconds");
        }
        var request = await ReadAsync(context, ConversionJson.Default.LeaseRequest).ConfigureAwait(false);
        if (request is null || string.IsNullOrWhiteSpace(request.Worker) || request.Worker.Length > 128 || request.MaxInputBytes < 0)
        {
            return Problem.Of(ProblemTypes.InvalidRequest, "the body must be JSON {\"worker\": NAME, \"max_input_bytes\": N}");
        }
        var leased = await queue.LeaseAsync(request.Worker, request.MaxInputBytes, TimeSpan.FromSeconds(wait ?? 0), context.RequestAborted).ConfigureAwait(false);
        if (leased is not var (job, profile))
        {
            return TypedResults.NoContent();
        }
        return TypedResults.Json(
            new LeaseDto(job.Id, job.LeaseToken!, job.LeaseExpiresAt!.Value, options.LeaseSeconds, profile.Name, profile.MediaName, profile.Extension,
                profile.Arguments, job.Name, job.Sha256, job.Size, job.InputDuration),
            ConversionJson.Default.LeaseDto);
    }

    private static IResult Input(string id, HttpContext context, JobQueue queue)
    {
        if (Leased(context, queue, id) is not { } job)
        {
            return LeaseLost(id);
        }
        return new JobFileResult(queue.Files.InputOf(id), Sha256Digest.ParseHex(job.Sha256), "application/octet-stream", null);
    }

    private static async Task<IResult> ProgressAsync(string id, HttpContext context, JobQueue queue)
    {
        var report = await ReadAsync(context, ConversionJson.Default.ProgressReport).ConfigureAwait(false);
        if (report is null || !double.IsFinite(report.Progress) || report.EtaSeconds is { } eta && !double.IsFinite(eta))
        {
            return Problem.Of(ProblemTypes.InvalidRequest, "the body must be JSON {\"progress\": 0..1, \"eta_seconds\": N or null}");
        }
        return queue.Renew(id, LeaseToken(context), report.Progress, report.EtaSeconds) is { } job
            ? TypedResults.Json(new LeaseRenewalDto(job.LeaseExpiresAt!.Value), ConversionJson.Default.LeaseRenewalDto)
            : LeaseLost(id);
    }

    private static async Task<IResult> OutputAsync(string id, HttpContext context, JobQueue queue, BrokerOptions options)
    {
        var token = LeaseToken(context);
        if (queue.Store.Leased(id, token) is null)
        {
            return LeaseLost(id);
        }
        var digestStatus = DigestFields.TryGetSha256(context.Request.Headers["Repr-Digest"].ToString(), out var digest);
        if (digestStatus != DigestFieldStatus.Found)
        {
            return Problem.Of(ProblemTypes.InvalidRequest, "an output needs its Repr-Digest: sha-256=:<base64 of 32 bytes>:");
        }
        if (context.Request.ContentLength is { } length && !queue.Files.Fits(length))
        {
            return Problem.Of(ProblemTypes.InsufficientStorage, $"the output ({length} bytes) would leave less than {options.ReserveBytes} bytes free on the broker");
        }
        var outcome = await queue.CompleteAsync(id, token, context.Request.Body, context.Request.ContentLength, digest, context.RequestAborted).ConfigureAwait(false);
        if (outcome.Receive is ReceiveStatus.InsufficientStorage)
        {
            return Problem.Of(ProblemTypes.InsufficientStorage, outcome.Detail!);
        }
        return outcome.Job is { } job ? TypedResults.Json(job.ToDto(), ConversionJson.Default.JobDto) : LeaseLost(id);
    }

    private static async Task<IResult> FailureAsync(string id, HttpContext context, JobQueue queue)
    {
        var failure = await ReadAsync(context, ConversionJson.Default.FailureReport).ConfigureAwait(false);
        if (failure is null || string.IsNullOrWhiteSpace(failure.Error))
        {
            return Problem.Of(ProblemTypes.InvalidRequest, "the body must be JSON {\"error\": LINE, \"stderr_tail\": TEXT or null}");
        }
        var tail = failure.StderrTail is { Length: > 8192 } long_ ? long_[^8192..] : failure.StderrTail;
        return queue.Fail(id, LeaseToken(context), failure.Error, tail) is { } job
            ? TypedResults.Json(job.ToDto(), ConversionJson.Default.JobDto)
            : LeaseLost(id);
    }

    private static IResult Release(string id, HttpContext context, JobQueue queue) =>
        queue.Release(id, LeaseToken(context)) is null ? LeaseLost(id) : TypedResults.NoContent();

    private static Job? Leased(HttpContext context, JobQueue queue, string id) => queue.Store.Leased(id, LeaseToken(context));

    private static string LeaseToken(HttpContext context) => context.Request.Headers[BrokerClient.LeaseHeader].ToString();

    private static IResult LeaseLost(string id) =>
        Problem.Of(ProblemTypes.LeaseLost, $"this worker no longer holds job {id} (its lease expired, or the job was cancelled or finished)");

    private static async Task<T?> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return await context.Request.ReadFromJsonAsync(type, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
