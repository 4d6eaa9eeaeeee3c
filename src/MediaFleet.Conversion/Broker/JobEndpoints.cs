using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Contracts.Problems;
using MediaFleet.Hosting;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MediaFleet.Conversion.Broker;

/// <summary>The broker's public routes (DESIGN.md section 8): submit, look up, list, fetch the output, cancel, profiles.</summary>
internal static class JobEndpoints
{
    private const int MaxListed = 1000;

    /// <summary>What a page shows of the queue unless it asks for more.</summary>
    private const int DefaultQueueLimit = 50;

    public static void MapJobs(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/jobs", SubmitAsync).RequireAccess(AccessLevel.Write);
        v1.MapGet("/jobs/{id}", Get).RequireAccess(AccessLevel.Read);
        v1.MapGet("/jobs", List).RequireAccess(AccessLevel.Read);
        v1.MapGet("/queue", Queue).RequireAccess(AccessLevel.Read);
        v1.MapGet("/jobs/{id}/output", Output).RequireAccess(AccessLevel.Read);
        v1.MapDelete("/jobs/{id}", Cancel).RequireAccess(AccessLevel.Write);
        v1.MapGet("/profiles", Profiles).RequireAccess(AccessLevel.Read);
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, JobQueue queue, BrokerOptions options)
    {
        var request = context.Request;
        var profileName = request.Query["profile"].ToString();
        if (!queue.Profiles.TryGet(profileName, out var profile))
        {
            return Problem.Of(ProblemTypes.InvalidRequest,
                profileName.Length == 0 ? "profile=P is required (GET /v1/profiles lists them)" : $"unknown profile '{profileName}' (GET /v1/profiles lists them)");
        }
        var name = request.Query["name"].ToString();
        if (JobNames.Check(name) is { } badName)
        {
            return Problem.Of(ProblemTypes.InvalidRequest, badName);
        }
        string? ingestAs = null;
        if (request.Query.ContainsKey("ingest_as"))
        {
            if (!LibraryPath.TryParse(request.Query["ingest_as"].ToString(), out var path, out var pathError))
            {
                return Problem.Of(ProblemTypes.InvalidPath, "ingest_as: " + pathError);
            }
            if (options.Node is null)
            {
                return Problem.Of(ProblemTypes.InvalidRequest, "ingest_as needs a library: this broker has no Broker:Node (--node URL)");
            }
            ingestAs = path.Value;
        }
        var client = request.Headers[BrokerClient.ClientHeader].ToString();
        client = client.Length == 0 ? "anonymous" : client;
        if (JobNames.CheckClient(client) is { } badClient)
        {
            return Problem.Of(ProblemTypes.InvalidRequest, badClient);
        }
        var key = request.Headers["Idempotency-Key"].ToString();
        if (key.Length > 200 || key.Any(c => c is < ' ' or > '~'))
        {
            return Problem.Of(ProblemTypes.InvalidRequest, "Idempotency-Key must be at most 200 printable ASCII characters");
        }
        var digestStatus = DigestFields.TryGetSha256(request.Headers["Repr-Digest"].ToString(), out var announced);
        if (digestStatus == DigestFieldStatus.Malformed)
        {
            return Problem.Of(ProblemTypes.InvalidRequest, "Repr-Digest must be sha-256=:<base64 of 32 bytes>:");
        }
        var submission = new Submission(client, profile, name, ingestAs, key.Length == 0 ? null : key,
            digestStatus == DigestFieldStatus.Found ? announced : null, request.ContentLength);

        // Answered before the body is read: a resubmit costs no upload, a full disk no wasted one.
        if (queue.FindExisting(submission) is { } known)
        {
            return TypedResults.Ok(known.ToDto());
        }
        if (request.ContentLength is { } length && !queue.Files.Fits(length))
        {
            return Problem.Of(ProblemTypes.InsufficientStorage, $"the input ({length} bytes) would leave less than {options.ReserveBytes} bytes free on the broker");
        }
        var outcome = await queue.SubmitAsync(submission, request.Body, context.RequestAborted).ConfigureAwait(false);
        return outcome.Status switch
        {
            SubmitStatus.Created => TypedResults.Json(outcome.Job!.ToDto(), ConversionJson.Default.JobDto, statusCode: StatusCodes.Status202Accepted)
                .WithLocation("/v1/jobs/" + outcome.Job.Id),
            SubmitStatus.Existing => TypedResults.Json(outcome.Job!.ToDto(), ConversionJson.Default.JobDto),
            SubmitStatus.UnsupportedMedia => Problem.Of(ProblemTypes.UnsupportedMedia, outcome.Detail!),
            SubmitStatus.InsufficientStorage => Problem.Of(ProblemTypes.InsufficientStorage, outcome.Detail!),
            SubmitStatus.DigestMismatch => Problem.Of(ProblemTypes.DigestMismatch, outcome.Detail!),
            _ => Problem.Of(ProblemTypes.InvalidRequest, "the upload was cut short: " + outcome.Detail),
        };
    }

    private static IResult Get(string id, JobQueue queue) =>
        queue.Store.Get(id) is { } job ? TypedResults.Json(job.ToDto(), ConversionJson.Default.JobDto) : NotFound(id);

    private static IResult List(HttpContext context, JobQueue queue)
    {
        var client = context.Request.Query["client"].ToString();
        var state = context.Request.Query["state"].ToString();
        if (state.Length > 0 && !JobStates.All.Contains(state))
        {
            return Problem.Of(ProblemTypes.InvalidRequest, $"state must be one of {string.Join(", ", JobStates.All)}");
        }
        var jobs = queue.Store.List(client.Length == 0 ? null : client, state.Length == 0 ? null : state, MaxListed);
        return TypedResults.Json<IReadOnlyList<JobDto>>([.. jobs.Select(j => j.ToDto())], ConversionJson.Default.IReadOnlyListJobDto);
    }

    /// <summary>The queue at a glance for the status pages: jobs by state, the running ones and the newest ones.</summary>
    private static IResult Queue(JobQueue queue, TimeProvider time, int? limit)
    {
        if (limit is < 1 or > MaxListed)
        {
            return Problem.Of(ProblemTypes.InvalidRequest, $"limit must be between 1 and {MaxListed}");
        }
        var count = limit ?? DefaultQueueLimit;
        var store = queue.Store;
        return TypedResults.Json(new QueueDto(
            store.CountByState(),
            [.. store.List(null, JobStates.Running, count).Select(j => j.ToDto())],
            [.. store.List(null, null, count).Select(j => j.ToDto())],
            time.GetUtcNow()), ConversionJson.Default.QueueDto);
    }

    private static IResult Output(string id, HttpContext context, JobQueue queue, TimeProvider time)
    {
        if (queue.Store.Get(id) is not { } job)
        {
            return NotFound(id);
        }
        if (job.State != JobStates.Succeeded)
        {
            return Problem.Of(ProblemTypes.JobNotDone, $"job {id} is {job.State}: its output is there once it succeeded");
        }
        var file = queue.OutputFileOf(job);
        if (job.FilesRemoved || file is null || !File.Exists(file))
        {
            return Problem.Of(ProblemTypes.NotFound, $"the output of job {id} was removed (kept for Broker:KeepDays after it was fetched)");
        }
        context.Response.OnCompleted(() =>
        {
            // A whole answer, or a range through the last byte, counts as fetched: the keep-days clock starts.
            if (context.Response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status206PartialContent && !context.RequestAborted.IsCancellationRequested
                && ReachesEnd(context, job.OutputSize ?? 0))
            {
                queue.Store.MarkFetched(id, time.GetUtcNow());
            }
            return Task.CompletedTask;
        });
        var extension = Path.GetExtension(file);
        return new JobFileResult(file, Sha256Digest.ParseHex(job.OutputSha256!), ContentTypes.Of(file), Path.GetFileNameWithoutExtension(job.Name) + extension);
    }

    private static bool ReachesEnd(HttpContext context, long size)
    {
        if (context.Request.Method != HttpMethods.Get)
        {
            return false;
        }
        var range = context.Response.Headers.ContentRange.ToString();
        return range.Length == 0 || range.EndsWith("-" + (size - 1) + "/" + size, StringComparison.Ordinal);
    }

    private static IResult Cancel(string id, JobQueue queue)
    {
        var (job, cancelled) = queue.Cancel(id);
        if (job is null)
        {
            return NotFound(id);
        }
        return cancelled
            ? TypedResults.Json(job.ToDto(), ConversionJson.Default.JobDto)
            : Problem.Of(ProblemTypes.JobFinished, $"job {id} already finished: {job.State}");
    }

    private static IResult Profiles(JobQueue queue) =>
        TypedResults.Json(queue.Profiles.ToDtos(), ConversionJson.Default.IReadOnlyListProfileDto);

    private static IResult NotFound(string id) => Problem.Of(ProblemTypes.NotFound, $"no job {id}");

    private static IResult WithLocation(this JsonHttpResult<JobDto> result, string location) => new Located(result, location);

    /// <summary>A result with a <c>Location</c> header: 202 names where the job can be followed.</summary>
    private sealed class Located(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}

/// <summary>The rules for a job's <c>name</c> and a client id: values that never reach a file system path, but are shown.</summary>
internal static class JobNames
{
    /// <summary>Null when <paramref name="name"/> is a plain file name, else why not.</summary>
    public static string? Check(string name)
    {
        if (name.Length == 0)
        {
            return "name=F is required: the input's file name";
        }
        if (System.Text.Encoding.UTF8.GetByteCount(name) > 255)
        {
            return "name must be at most 255 bytes";
        }
        if (name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            return "name must be a file name, without '/', '\\' or a '.' or '..' of its own";
        }
        return name.Any(char.IsControl) ? "name must not hold control characters" : null;
    }

    public static string? CheckClient(string client) =>
        client.Length is > 0 and <= 64 && client.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? null
            : $"{BrokerClient.ClientHeader} must be 1–64 letters, digits, '-', '_' or '.'";
}
