using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Nginx;

/// <summary>
/// A <c>server</c> line of the nginx file: its 1-based line number, its address, the thresholds in
/// force for it and the balancing method of its upstream block (null for round robin or outside a block).
/// </summary>
internal sealed record ServerLine(int LineNumber, string Address, Thresholds Thresholds, string? BalancingMethod)
{
    public bool BackupAllowed => NginxUpstreamFile.AllowsBackup(BalancingMethod);
}
