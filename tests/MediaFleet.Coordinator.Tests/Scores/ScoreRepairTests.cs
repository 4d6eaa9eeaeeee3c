using MediaFleet.Coordinator.Scores;
using static MediaFleet.Coordinator.Tests.Scores.ScoreInputs;

namespace MediaFleet.Coordinator.Tests.Scores;

/// <summary>Files to repair and files short of sites, on one cluster: home (a, b), office (c), cloud (d, silent).</summary>
public sealed class ScoreRepairTests
{
    private static readonly CopyState C = CopyState.Corrupt, D = CopyState.OtherDigest, A = CopyState.Absent;
    private static readonly CopyState V = Verified, U = Unverified;

    private static readonly ScoringInput Cluster = new(Files(5), [
        //                       file 0 1  2  3  4
        Column("a", "home",          V, V, A, C, U),
        Column("b", "home",          V, V, A, A, A),
        Column("c", "office",        C, V, U, D, U),
        Column("d", "cloud",         V, V, V, V, V).Heard(Now.AddHours(-1)),
    ]);

    // file 0: home min(20, 10) = 10, office 0, cloud silent 0 -> 10 / 2 = 5; held at home only
    // file 1: home 10 + office 10 = 20 -> 10; held at two sites, not below M
    // file 2: office 5 -> 2.5; held at office only
    // file 3: nothing good -> 0; held nowhere
    // file 4: home 5 + office 5 = 10 -> 5; below M but held at two sites
    private static readonly double[] Expected = [5.0, 10.0, 2.5, 0.0, 5.0];

    [Fact]
    public void Score_Cluster_FileScores()
    {
        var report = Score(Cluster);

        Assert.Equal(Expected, report.FileScores.ToArray());
    }

    [Fact]
    public void FilesToRepair_BelowMaxByDefault_WorstFirstTiesInFileOrder()
    {
        var report = Score(Cluster);

        Assert.Equal([3, 2, 0, 4], report.FilesToRepair().Select(f => f.Index));
        Assert.Equal([0.0, 2.5, 5.0, 5.0], report.FilesToRepair().Select(f => f.Score));
        Assert.Equal(Cluster.Files.Paths[3], report.FilesToRepair()[0].Path);
    }

    [Fact]
    public void FilesBelow_IsStrictlyBelow()
    {
        var report = Score(Cluster);

        Assert.Equal([3, 2], report.FilesBelow(5).Select(f => f.Index));
        Assert.Empty(report.FilesBelow(0));
    }

    [Fact]
    public void Shortfalls_FilesHeldAtFewerThanDSites_WithLiveSitesNotHoldingThem()
    {
        // Cloud never could take one: its only node is silent. A site counts as holding a file with any good copy.
        var report = Score(Cluster);

        Assert.Equal([3, 2, 0], report.Shortfalls.Select(s => s.Index));
        Assert.Equal(
            [("", "home,office"), ("office", "home"), ("home", "office")],
            report.Shortfalls.Select(s => (string.Join(',', s.HeldAt), string.Join(',', s.CouldTake))));
        Assert.Equal([0.0, 2.5, 5.0], report.Shortfalls.Select(s => s.Score));
        Assert.Equal(Cluster.Files.Paths[2], report.Shortfalls[1].Path);
    }

    [Fact]
    public void Shortfalls_OnlyBelowRepairBelow()
    {
        var report = Score(Cluster, ScoreSettings.Default with { RepairBelow = 3 });

        Assert.Equal([3, 2], report.Shortfalls.Select(s => s.Index));
        Assert.Equal([3, 2], report.FilesToRepair().Select(f => f.Index));
    }

    [Fact]
    public void Shortfalls_WithDOne_NoFileHeldSomewhereIsShort()
    {
        // d = 1: file 0 is 10 / 1 -> 10; file 2 is 5 -> 5 (below M, but at one site, which is enough); file 3 is still 0.
        var report = Score(Cluster, ScoreSettings.Default with { MinGeoDup = 1 });

        Assert.Equal([3], report.Shortfalls.Select(s => s.Index));
    }
}
