using System.Text.Json;
using System.Text.Json.Serialization;
using MediaFleet.Contracts.Conversion;

namespace MediaFleet.Contracts.Coordinator;

/// <summary>
/// <c>GET /v1/dashboard</c>: everything the coordinator's page shows, in one document, so the page redraws from one
/// consistent moment. <c>broker</c> is null unless <c>Coordinator:Broker</c> is set.
/// </summary>
public sealed record DashboardDto(
    DateTimeOffset GeneratedAt,
    DashboardCoordinatorDto Coordinator,
    IReadOnlyList<DashboardNodeDto> Nodes,
    DashboardScoreDto Score,
    IReadOnlyList<EventDto> Events,
    NginxStateDto? Nginx,
    DashboardBrokerDto? Broker);

/// <summary>The coordinator itself: the trusted primary and its version, a conflict, and the heartbeat timing.</summary>
public sealed record DashboardCoordinatorDto(
    DateTimeOffset StartedAt,
    bool GraceOver,
    string? Primary,
    long? PrimaryVersion,
    IReadOnlyList<string> PrimaryConflict,
    double HeartbeatInterval,
    double DownAfter,
    string? Proxy);

/// <summary>
/// A server as <c>/v1/nodes</c> shows it, plus <c>lag</c> (the trusted primary's version minus this node's, never
/// below 0; null without a primary), <c>seen_seconds_ago</c> by the coordinator's clock, and <c>seed</c>: the server
/// still runs the old heartbeat daemon (<c>--seed-heartbeats</c>), whose versions are compared with the old primary's.
/// </summary>
public sealed record DashboardNodeDto(
    string Id,
    string Address,
    string Url,
    string State,
    string Reason,
    double Load,
    long Version,
    long? Lag,
    bool Primary,
    bool ForceDown,
    bool ForceBackup,
    string? Site,
    long Missing,
    long FreeBytes,
    DateTimeOffset LastSeen,
    double SeenSecondsAgo,
    bool Seed);

/// <summary>
/// The latest scoring pass for the page: the collection's score (null with label <c>unknown</c> before the first
/// pass), each site's and each server's, and the files below <c>at_risk_below</c> (Score:RepairBelow), worst first.
/// </summary>
public sealed record DashboardScoreDto(
    double? Collection,
    string Label,
    double MaxScore,
    int Files,
    DateTimeOffset? ComputedAt,
    IReadOnlyList<SiteScoreDto> Sites,
    IReadOnlyList<ServerScoreDto> Servers,
    double AtRiskBelow,
    int AtRiskCount,
    IReadOnlyList<FileScoreDto> AtRisk);

/// <summary>A site's score: its worst file's siteScore (DESIGN.md section 9); <c>site</c> null for nodes without one.</summary>
public sealed record SiteScoreDto(string? Site, double Score, string Label);

/// <summary>
/// One recent event, newest first: <c>kind</c> is <c>state</c>, <c>primary</c>, <c>nginx</c>, <c>quarantine</c> or
/// <c>heal</c>; <c>server</c> the node it is about, if one.
/// </summary>
public sealed record EventDto(DateTimeOffset At, string Kind, string? Server, string Text);

/// <summary>The broker's queue as the coordinator last fetched it; <c>error</c> says why it could not when it could not.</summary>
public sealed record DashboardBrokerDto(string Url, bool Reachable, string? Error, DateTimeOffset? FetchedAt, QueueDto? Queue);

/// <summary>The dashboard's JSON in DESIGN.md's snake_case.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(DashboardDto))]
public sealed partial class DashboardJson : JsonSerializerContext;
