using System.Text.Json;
using System.Text.Json.Serialization;

namespace MediaFleet.Contracts.Files;

/// <summary>A file as the file API reports it: the body of a successful PUT and a line of the manifest.</summary>
public sealed record FileDto(string Path, string Sha256, long Size, long Version);

/// <summary>The body of <c>POST /v1/moves</c>.</summary>
public sealed record MoveRequest(string From, string To);

/// <summary>The answer to a move: the version it became.</summary>
public sealed record VersionDto(long Version);

/// <summary>One changelog entry as <c>GET /v1/changes</c> lists it.</summary>
public sealed record ChangeDto(long Version, string Op, string Path, string? To, string? Sha256, long? Size, DateTimeOffset At);

/// <summary>The answer of <c>GET /v1/changes</c>: the node's version and the entries after <c>since</c>.</summary>
public sealed record ChangesDto(long Version, IReadOnlyList<ChangeDto> Changes);

/// <summary>The answer of <c>GET /v1/status</c>.</summary>
public sealed record StatusDto(
    string Id,
    bool Primary,
    string? Upstream,
    long Version,
    long SeenVersion,
    int Missing,
    int Files,
    long Bytes,
    long FreeBytes,
    double Load,
    bool ForceDown,
    bool ForceBackup,
    string? Site,
    ScrubDto? Scrub = null,
    StartupScanDto? StartupScan = null);

/// <summary>
/// Start-up in <c>/v1/status</c> (an addition to DESIGN.md's fields): whether the file index is in memory yet, and the
/// background comparison of folder and catalog (entries checked, files the catalog does not know).
/// </summary>
public sealed record StartupScanDto(bool IndexLoaded, bool Running, long Checked, long Unknown, DateTimeOffset? FinishedAt);

/// <summary>One entry of <c>GET /v1/missing</c>.</summary>
public sealed record MissingDto(string Path, long Version, string? Sha256, string Reason, int Attempts, DateTimeOffset? NextTryAt);

/// <summary>One NDJSON line of <c>POST /v1/adopt</c>: <c>event</c> is adopted, mismatch, skipped or done.</summary>
public sealed record AdoptLineDto(string Event, string? Path, long Done, long Total, long? Version, string? Sha256, string? Detail);

/// <summary>The answer of <c>POST /v1/compact</c>: the node's version and the newest version no longer in the changelog.</summary>
public sealed record CompactedDto(long Version, long CompactedThrough);

/// <summary>The body of <c>POST /v1/flags</c>: a bit left out stays as it is.</summary>
public sealed record FlagsRequest(bool? ForceDown, bool? ForceBackup);

/// <summary>A node's force bits, as <c>POST /v1/flags</c> answers them.</summary>
public sealed record FlagsDto(bool ForceDown, bool ForceBackup);

/// <summary>The scheduled scrub in <c>/v1/status</c>: the current round's progress, totals since start, the last finding.</summary>
public sealed record ScrubDto(bool Enabled, bool Running, long RoundDone, long RoundTotal, long Checked, long Bad, long BytesRead, DateTimeOffset? LastRoundAt, string? LastBad);

/// <summary>
/// One copy in <c>GET /v1/catalog</c> (for scoring): <c>state</c> is <c>ok</c>, <c>corrupt</c> or <c>missing</c>;
/// <c>modified</c> (an addition to DESIGN.md's fields) is when the bytes were written here, on the primary the ingest.
/// </summary>
public sealed record CopyDto(string Path, string Sha256, long Size, long Version, DateTimeOffset? VerifiedAt, string State, DateTimeOffset? Modified = null);

/// <summary>
/// An answer of <c>GET /v1/catalog</c>: the node's catalog epoch and sequence to ask from next time, whether it is a whole
/// listing (else only copies changed since the sequence asked for, a gone one with state <c>deleted</c>), and the copies.
/// </summary>
public sealed record CatalogPage(string Epoch, long Sequence, bool Full, IReadOnlyList<CopyDto> Copies);

/// <summary>One line of <c>POST /v1/verify</c>: a checked copy (<c>good</c>, <c>bad</c>, <c>changed</c>), then <c>done</c>.</summary>
public sealed record VerifyLineDto(string Event, string? Path, string? Detail, long Done, long Total, long Bad);

/// <summary>
/// The body of <c>POST /v1/bundle</c> (an addition to DESIGN.md): files wanted in one answer, each with the digest its
/// bytes must have (as <c>If-Match</c> would ask of a single GET).
/// </summary>
public sealed record BundleRequest(IReadOnlyList<BundleItem> Files);

/// <summary>One file of a <see cref="BundleRequest"/>.</summary>
public sealed record BundleItem(string Path, string Sha256);

/// <summary>
/// The line before each file of a bundle answer: its digest and size, followed by exactly <c>size</c> bytes; or, for a
/// file that cannot be sent, the problem slug (<c>not-found</c>, <c>precondition-failed</c>, <c>invalid-path</c>) and
/// a detail, with no bytes.
/// </summary>
public sealed record BundlePartDto(string Path, string? Sha256 = null, long? Size = null, string? Problem = null, string? Detail = null);

/// <summary>An RFC 9457 problem document, as every error of every role is answered.</summary>
public sealed record ProblemDto(string? Type, string? Title, int? Status, string? Detail, string? Instance);

/// <summary>Source-generated JSON for every contract type, in the snake_case of DESIGN.md.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(FileDto))]
[JsonSerializable(typeof(MoveRequest))]
[JsonSerializable(typeof(VersionDto))]
[JsonSerializable(typeof(ChangesDto))]
[JsonSerializable(typeof(StatusDto))]
[JsonSerializable(typeof(StartupScanDto))]
[JsonSerializable(typeof(IReadOnlyList<MissingDto>))]
[JsonSerializable(typeof(AdoptLineDto))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(CompactedDto))]
[JsonSerializable(typeof(FlagsRequest))]
[JsonSerializable(typeof(FlagsDto))]
[JsonSerializable(typeof(VerifyLineDto))]
[JsonSerializable(typeof(CopyDto))]
[JsonSerializable(typeof(BundleRequest))]
[JsonSerializable(typeof(BundlePartDto))]
public sealed partial class ContractJson : JsonSerializerContext;
