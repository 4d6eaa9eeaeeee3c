namespace MediaFleet.Coordinator.States;

/// <summary>One heartbeat as DESIGN.md section 6 defines it, plus when the coordinator received it.</summary>
internal sealed record Heartbeat(
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
    DateTimeOffset SentAt,
    DateTimeOffset ReceivedAt);
