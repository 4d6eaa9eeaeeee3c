using System.Collections.Immutable;

namespace MediaFleet.Coordinator.Scores;

/// <summary>
/// One node's copies, aligned to the <see cref="FileTable"/> index, with the site it reports and when it was
/// last heard. Nodes that report the same site (the empty one included) form one site.
/// </summary>
internal sealed record CopyColumn(string NodeId, string Site, DateTimeOffset LastHeard, ImmutableArray<CopyState> Copies);
