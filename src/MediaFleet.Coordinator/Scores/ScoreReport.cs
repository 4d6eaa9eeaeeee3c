using System.Collections.Immutable;
using MediaFleet.Library.Paths;

namespace MediaFleet.Coordinator.Scores;

/// <summary>One file's score, with its index in the <see cref="FileTable"/>.</summary>
internal readonly record struct ScoredFile(int Index, LibraryPath Path, double Score);

/// <summary>
/// A file to repair that is held at fewer than MinGeoDup sites: where its good copies are, and the sites with a
/// live node that could take one more.
/// </summary>
internal sealed record SiteShortfall(int Index, LibraryPath Path, double Score, ImmutableArray<string> HeldAt, ImmutableArray<string> CouldTake);

/// <summary>The preservation scores of one moment (DESIGN.md section 9), as <see cref="PreservationScorer"/> computed them.</summary>
internal sealed class ScoreReport
{
    private readonly FileTable _files;
    private readonly double[] _fileScores;

    public ScoreReport(
        FileTable files, double[] fileScores, double collection, int freshLeftOut,
        IReadOnlyDictionary<string, double> servers, IReadOnlyList<SiteShortfall> shortfalls, double repairBelow)
    {
        _files = files;
        _fileScores = fileScores;
        Collection = collection;
        FreshLeftOut = freshLeftOut;
        Servers = servers;
        Shortfalls = shortfalls;
        RepairBelow = repairBelow;
    }

    /// <summary>The lowest file score, fresh files still below M/2 left out; M when no file counts.</summary>
    public double Collection { get; }

    /// <summary>How many files were left out of <see cref="Collection"/> as still being replicated.</summary>
    public int FreshLeftOut { get; }

    /// <summary>Each node's lowest copy score, by node id.</summary>
    public IReadOnlyDictionary<string, double> Servers { get; }

    /// <summary>
    /// Each site's lowest siteScore over the files (0 to M), by site name ("" for nodes without a site): how well the
    /// site alone holds the collection; M when there are no files. Every site named by a node is listed.
    /// </summary>
    public IReadOnlyDictionary<string, double> Sites { get; init; } = new Dictionary<string, double>();

    /// <summary>Every file's score, aligned to the <see cref="FileTable"/> index.</summary>
    public ReadOnlySpan<double> FileScores => _fileScores;

    /// <summary>Files below <see cref="RepairBelow"/> held at fewer than MinGeoDup sites, worst first.</summary>
    public IReadOnlyList<SiteShortfall> Shortfalls { get; }

    public double RepairBelow { get; }

    /// <summary>The files scoring below <paramref name="threshold"/>, worst first; equal scores in file order.</summary>
    public IReadOnlyList<ScoredFile> FilesBelow(double threshold)
    {
        var below = new List<ScoredFile>();
        for (var i = 0; i < _fileScores.Length; i++)
        {
            if (_fileScores[i] < threshold)
            {
                below.Add(new ScoredFile(i, _files.Paths[i], _fileScores[i]));
            }
        }
        below.Sort(static (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : a.Index.CompareTo(b.Index));
        return below;
    }

    /// <summary>The files to repair: those below <see cref="RepairBelow"/>, worst first.</summary>
    public IReadOnlyList<ScoredFile> FilesToRepair() => FilesBelow(RepairBelow);
}
