namespace MediaFleet.Coordinator.States;

/// <summary>A computed state and the rule that chose it, as shown in <c>/v1/nodes</c>.</summary>
internal readonly record struct StateDecision(ServerState State, string Reason);
