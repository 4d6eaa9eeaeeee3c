namespace MediaFleet.Coordinator.States;

/// <summary>
/// The published state of a server and its progress towards a better one: <see cref="BetterCount"/>
/// consecutive heartbeats computed a state better than <see cref="Published"/>, the worst of them
/// being <see cref="Candidate"/>.
/// </summary>
internal readonly record struct DampedState(ServerState Published, int BetterCount, ServerState Candidate)
{
    /// <summary>A state with no recovery in progress.</summary>
    public static DampedState Settled(ServerState published) => new(published, 0, published);
}
