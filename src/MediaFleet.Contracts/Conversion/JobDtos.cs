using System.Text.Json;
using System.Text.Json.Serialization;

namespace MediaFleet.Contracts.Conversion;

/// <summary>The states of a conversion job (DESIGN.md section 8), as the JSON spells them.</summary>
public static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlyList<string> All = [Queued, Running, Succeeded, Failed, Cancelled];

    public static bool IsFinished(string state) => state is Succeeded or Failed or Cancelled;
}

/// <summary>
/// A conversion job as every route of the broker answers it (DESIGN.md section 8). <c>progress</c> is 0–1; <c>output</c> is
/// set once succeeded; <c>ingest</c> when <c>ingest_as</c> was given. <c>stderr_tail</c> (an addition to DESIGN.md's
/// fields) holds ffmpeg's last stderr lines of the last failed attempt.
/// </summary>
public sealed record JobDto(
    string Id,
    string Client,
    string Profile,
    string Name,
    string Sha256,
    long Size,
    string State,
    double Progress,
    double? EtaSeconds,
    int Attempts,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Worker,
    JobOutputDto? Output,
    JobIngestDto? Ingest,
    string? StderrTail = null);

/// <summary>A succeeded job's output.</summary>
public sealed record JobOutputDto(string Sha256, long Size, double? DurationSeconds);

/// <summary>Where a succeeded job's output goes in the library: <c>state</c> is pending, done or failed.</summary>
public sealed record JobIngestDto(string Path, string State, long? Version, string? Error);

/// <summary>One line of <c>GET /v1/profiles</c>.</summary>
public sealed record ProfileDto(string Name, string Media, string Extension, string Description);

/// <summary>
/// The body of a worker's <c>POST /v1/leases</c>: who asks and how large an input its scratch space can take (the
/// worker protocol is the broker's to choose, DESIGN.md section 8).
/// </summary>
public sealed record LeaseRequest(string Worker, long MaxInputBytes);

/// <summary>
/// A lease on one job: the token every later call about the job carries (header <c>MFleet-Lease</c>), when it expires
/// unless renewed, and what the worker needs to run ffmpeg.
/// </summary>
public sealed record LeaseDto(
    string JobId,
    string Token,
    DateTimeOffset ExpiresAt,
    int LeaseSeconds,
    string Profile,
    string Media,
    string Extension,
    IReadOnlyList<string> Args,
    string Name,
    string InputSha256,
    long InputSize,
    double? InputDurationSeconds);

/// <summary>A running job's progress, which also renews its lease.</summary>
public sealed record ProgressReport(double Progress, double? EtaSeconds);

/// <summary>The answer to a progress report: the lease's new expiry.</summary>
public sealed record LeaseRenewalDto(DateTimeOffset ExpiresAt);

/// <summary>An attempt that failed on the worker: one line of cause and ffmpeg's last stderr lines.</summary>
public sealed record FailureReport(string Error, string? StderrTail);

/// <summary>
/// <c>GET /v1/queue</c>: the broker's queue at a glance. <c>counts</c> holds every state (0 included); <c>running</c>
/// every running job (at most <c>limit</c>), <c>latest</c> the newest jobs of any state (at most <c>limit</c>).
/// </summary>
public sealed record QueueDto(IReadOnlyDictionary<string, long> Counts, IReadOnlyList<JobDto> Running, IReadOnlyList<JobDto> Latest, DateTimeOffset At);

/// <summary>Source-generated JSON for the conversion contract, in the snake_case of DESIGN.md.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(JobDto))]
[JsonSerializable(typeof(IReadOnlyList<JobDto>))]
[JsonSerializable(typeof(IReadOnlyList<ProfileDto>))]
[JsonSerializable(typeof(QueueDto))]
[JsonSerializable(typeof(LeaseRequest))]
[JsonSerializable(typeof(LeaseDto))]
[JsonSerializable(typeof(ProgressReport))]
[JsonSerializable(typeof(LeaseRenewalDto))]
[JsonSerializable(typeof(FailureReport))]
public sealed partial class ConversionJson : JsonSerializerContext;
