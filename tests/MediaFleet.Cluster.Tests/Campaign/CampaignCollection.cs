namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>
/// The fault campaign runs alone: it starts four processes, nginx and two proxies, and kills them on purpose, so it
/// must not share the machine's two cores, or its ports, with another heavy test of this assembly.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CampaignCollection
{
    public const string Name = "fault campaign";
}
