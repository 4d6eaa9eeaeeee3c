using System.Text.Json;
using System.Text.Json.Serialization;
using MediaFleet.Contracts.Conversion;

namespace MediaFleet.Conversion.Client;

/// <summary>A job as the client remembers it: where it came from, the broker's last word on it, and what was fetched.</summary>
public sealed record ClientJob
{
    public required string Id { get; init; }

    /// <summary>The broker's URL as <see cref="ClientStore.BrokerKey"/> writes it.</summary>
    public required string Broker { get; init; }

    /// <summary>The local file it was submitted from (full path); null for a job another client submitted.</summary>
    public required string? Source { get; init; }

    public required string SourceSha256 { get; init; }

    public required long SourceSize { get; init; }

    public required DateTimeOffset? SourceModified { get; init; }

    public required string Profile { get; init; }

    /// <summary>The input's file name, as sent in <c>name=</c>; the fetched output is named after it.</summary>
    public required string Name { get; init; }

    public string? IngestAs { get; init; }

    public required DateTimeOffset SubmittedAt { get; init; }

    /// <summary>The job as the broker last answered it.</summary>
    public required JobDto Job { get; init; }

    /// <summary>When the broker last answered about this job.</summary>
    public required DateTimeOffset SeenAt { get; init; }

    public string? FetchedPath { get; init; }

    public DateTimeOffset? FetchedAt { get; init; }

    public string State => Job.State;

    /// <summary>A job this client does not remember (another client's), as the broker answered it.</summary>
    public static ClientJob Unremembered(string broker, JobDto job, DateTimeOffset seenAt) => new()
    {
        Id = job.Id, Broker = broker, Source = null, SourceSha256 = job.Sha256, SourceSize = job.Size, SourceModified = null,
        Profile = job.Profile, Name = job.Name, IngestAs = job.Ingest?.Path, SubmittedAt = job.CreatedAt, Job = job, SeenAt = seenAt,
    };
}

/// <summary>Source-generated JSON for <c>convert status --json</c>, in the snake_case of DESIGN.md.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(IReadOnlyList<ClientJob>))]
public sealed partial class ClientJson : JsonSerializerContext;
