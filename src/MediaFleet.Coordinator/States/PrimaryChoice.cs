namespace MediaFleet.Coordinator.States;

/// <summary>The primary the coordinator trusts, if any, and the ids of all claimants when more than one claims it.</summary>
internal sealed record PrimaryChoice(Heartbeat? Trusted, IReadOnlyList<string> ConflictIds)
{
    public bool HasConflict => ConflictIds.Count > 1;
}
