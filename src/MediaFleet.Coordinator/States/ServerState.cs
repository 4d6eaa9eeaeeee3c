namespace MediaFleet.Coordinator.States;

/// <summary>What the balancer may do with a server; declared from best to worst, so a larger value is worse.</summary>
internal enum ServerState
{
    Up = 0,
    Backup = 1,
    Down = 2,
}
