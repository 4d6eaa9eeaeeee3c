namespace MediaFleet.Cluster.Tests;

/// <summary>
/// End-to-end tests with separate node processes and large transfers: one at a time, so their memory and
/// disk use do not overlap and a measured process is not starved by its neighbours.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "node processes";
}
