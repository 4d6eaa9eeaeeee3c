using System.Text.Json.Serialization;

namespace MediaFleet.Bench.HeartbeatLoad;

/// <summary>One heartbeat as DESIGN.md section 6 defines it, as a simulated node sends it.</summary>
internal sealed record HeartbeatBody(
    string Id,
    string Address,
    string Url,
    double Load,
    long Version,
    long SeenVersion,
    bool Primary,
    bool ForceDown,
    bool ForceBackup,
    string Site,
    long Missing,
    long FreeBytes,
    // A UTC DateTime is written as "2026-11-23T17:00:00.123Z", the form DESIGN.md shows.
    DateTime SentAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HeartbeatBody))]
internal sealed partial class HeartbeatJson : JsonSerializerContext;
