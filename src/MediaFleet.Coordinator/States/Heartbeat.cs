namespace MediaFleet.Coordinator.States;

/// <summary>
/// One heartbeat as DESIGN.md section 6 defines it, plus when the coordinator received it. A <see cref="Seed"/>
/// heartbeat came from the old heartbeat daemon over UDP: its address is the sender's IP (it matches the server lines
/// of that IP), its version counts in the old daemon's numbering, and it has no MediaFleet API to gather or proxy to.
/// </summary>
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
    DateTimeOffset ReceivedAt)
{
    public bool Seed { get; init; }
}
