using System.Collections.Immutable;

namespace MediaFleet.Coordinator.Scores;

/// <summary>
/// Everything the score is computed from: the files and one copy column per node, checked to fit together.
/// Sites are numbered 0..Sites.Count-1 in the order nodes first name them.
/// </summary>
internal sealed class ScoringInput
{
    /// <summary>The sites holding a file are kept as bits of one ulong; a cluster has a handful of sites.</summary>
    public const int MaxSites = 64;

    private readonly int[] _siteOfNode;

    public ScoringInput(FileTable files, IEnumerable<CopyColumn> nodes)
    {
        Files = files;
        Nodes = [.. nodes];
        _siteOfNode = new int[Nodes.Length];
        var sites = new List<string>();
        var siteIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var n = 0; n < Nodes.Length; n++)
        {
            var node = Nodes[n];
            if (!ids.Add(node.NodeId))
            {
                throw new ArgumentException($"node '{node.NodeId}' has two copy columns", nameof(nodes));
            }
            if (node.Copies.IsDefault || node.Copies.Length != files.Count)
            {
                throw new ArgumentException(
                    $"node '{node.NodeId}' has {(node.Copies.IsDefault ? 0 : node.Copies.Length)} copies for {files.Count} files", nameof(nodes));
            }
            if (!siteIndex.TryGetValue(node.Site, out var site))
            {
                site = sites.Count;
                siteIndex.Add(node.Site, site);
                sites.Add(node.Site);
            }
            _siteOfNode[n] = site;
        }
        if (sites.Count > MaxSites)
        {
            throw new ArgumentException($"{sites.Count} sites; at most {MaxSites} are scored", nameof(nodes));
        }
        Sites = [.. sites];
    }

    public FileTable Files { get; }

    public ImmutableArray<CopyColumn> Nodes { get; }

    /// <summary>Site names, indexed by site number.</summary>
    public ImmutableArray<string> Sites { get; }

    /// <summary>The site number of <see cref="Nodes"/>[<paramref name="node"/>].</summary>
    public int SiteOf(int node) => _siteOfNode[node];
}
