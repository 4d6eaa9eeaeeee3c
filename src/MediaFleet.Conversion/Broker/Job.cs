using MediaFleet.Contracts.Conversion;

namespace MediaFleet.Conversion.Broker;

/// <summary>One row of <c>broker.db</c>'s <c>jobs</c> table: a job with its lease and where its output went.</summary>
internal sealed record Job
{
    public required string Id { get; init; }
    public required string Client { get; init; }
    public required string Profile { get; init; }
    public required string Name { get; init; }
    public required string Sha256 { get; init; }
    public required long Size { get; init; }
    public double? InputDuration { get; init; }
    public required string State { get; init; }
    public double Progress { get; init; }
    public double? EtaSeconds { get; init; }
    public int Attempts { get; init; }
    public string? Error { get; init; }
    public string? StderrTail { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? Worker { get; init; }
    public string? LeaseToken { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    public string? OutputSha256 { get; init; }
    public long? OutputSize { get; init; }
    public double? OutputDuration { get; init; }
    public string? IngestPath { get; init; }
    public string? IngestState { get; init; }
    public long? IngestVersion { get; init; }
    public string? IngestError { get; init; }
    public string? IdempotencyKey { get; init; }
    public DateTimeOffset? FetchedAt { get; init; }
    public bool FilesRemoved { get; init; }

    public JobDto ToDto() => new(
        Id, Client, Profile, Name, Sha256, Size, State, Progress, EtaSeconds, Attempts, Error, CreatedAt, UpdatedAt, StartedAt, FinishedAt, Worker,
        OutputSha256 is null ? null : new JobOutputDto(OutputSha256, OutputSize ?? 0, OutputDuration),
        IngestPath is null ? null : new JobIngestDto(IngestPath, IngestState ?? IngestStates.Pending, IngestVersion, IngestError),
        StderrTail);
}

/// <summary>Where a succeeded job's output stands on its way into the library.</summary>
internal static class IngestStates
{
    public const string Pending = "pending";
    public const string Done = "done";
    public const string Failed = "failed";
}
