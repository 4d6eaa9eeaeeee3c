using System.Text.Json;
using System.Text.Json.Serialization;

namespace MediaFleet.Contracts.Coordinator;

/// <summary>
/// A node's heartbeat (DESIGN.md section 6). The first eight fields are required; the rest may be left out by
/// an older node and default to nothing known.
/// </summary>
public sealed record HeartbeatDto(
    string Id,
    string Address,
    string Url,
    double Load,
    long Version,
    bool Primary,
    bool ForceDown,
    bool ForceBackup,
    long SeenVersion = 0,
    string? Site = null,
    long Missing = 0,
    long FreeBytes = 0,
    DateTimeOffset? SentAt = null);

/// <summary>One server as the coordinator sees it: <c>GET /v1/nodes</c>.</summary>
public sealed record NodeStateDto(
    string Id,
    string Address,
    string Url,
    string State,
    string Reason,
    double Load,
    long Version,
    long SeenVersion,
    bool Primary,
    bool ForceDown,
    bool ForceBackup,
    string? Site,
    long Missing,
    long FreeBytes,
    DateTimeOffset LastSeen);

/// <summary>How the nginx file is kept: where, the last write, the reloads and the last failure.</summary>
public sealed record NginxStateDto(
    string File,
    DateTimeOffset? WrittenAt,
    long Writes,
    long Reloads,
    string? LastError,
    DateTimeOffset? LastErrorAt);

/// <summary>The coordinator's own state: <c>GET /v1/coordinator</c>.</summary>
public sealed record CoordinatorStateDto(
    DateTimeOffset StartedAt,
    bool GraceOver,
    string? Primary,
    IReadOnlyList<string> PrimaryConflict,
    NginxStateDto? Nginx,
    string? Proxy);

/// <summary><c>GET /v1/score</c>: the collection's score (its worst file's), each server's, the worst files and what to repair.</summary>
public sealed record ScoreDto(
    double? Collection,
    string Label,
    double MaxScore,
    int Files,
    IReadOnlyList<ServerScoreDto> Servers,
    IReadOnlyList<FileScoreDto> Worst,
    IReadOnlyList<RepairDto> Repair,
    DateTimeOffset? ComputedAt)
{
    /// <summary>The label before the first scoring pass, when <see cref="Collection"/> is null.</summary>
    public const string Unknown = "unknown";
}

/// <summary>A server's score: the worst of its copies.</summary>
public sealed record ServerScoreDto(string Id, string? Site, double Score, string Label);

/// <summary>One file's score, as <c>GET /v1/score/files?below=X</c> lists them, worst first.</summary>
public sealed record FileScoreDto(string Path, double Score, string Label);

/// <summary>A file held at fewer sites than <c>MinGeoDup</c>: where it is, and the sites that could take a copy.</summary>
public sealed record RepairDto(string Path, double Score, IReadOnlyList<string> Sites, IReadOnlyList<string> CouldTake);

/// <summary>Coordinator JSON in DESIGN.md's snake_case.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(HeartbeatDto))]
[JsonSerializable(typeof(IReadOnlyList<NodeStateDto>))]
[JsonSerializable(typeof(CoordinatorStateDto))]
[JsonSerializable(typeof(ScoreDto))]
[JsonSerializable(typeof(IReadOnlyList<FileScoreDto>))]
public sealed partial class CoordinatorJson : JsonSerializerContext;

/// <summary>
/// The strict reading of an incoming heartbeat: exact field names, JSON types as written (no numbers in strings),
/// no unknown or repeated fields, every required field present. Anything else is a malformed heartbeat.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true,
    AllowDuplicateProperties = false,
    MaxDepth = 4)]
[JsonSerializable(typeof(HeartbeatDto))]
public sealed partial class StrictHeartbeatJson : JsonSerializerContext;
