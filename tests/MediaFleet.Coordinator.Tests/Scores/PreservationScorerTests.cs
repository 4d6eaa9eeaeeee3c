using MediaFleet.Coordinator.Scores;
using static MediaFleet.Coordinator.Tests.Scores.ScoreInputs;

namespace MediaFleet.Coordinator.Tests.Scores;

/// <summary>DESIGN.md section 9 by hand: M = 10 unless a row says otherwise; copies V = 10, U = O = 5, C = D = - = 0.</summary>
public sealed class PreservationScorerTests
{
    // Each row: one file's copies (notation in ScoreInputs.OneFile), d, the file score worked out in the comment.
    [Theory]
    // one site vs two: home min(10 + 10, 10) = 10, file 10 / 2 = 5; home 10 + office 10 = 20, file 20 / 2 = 10
    [InlineData("a@home=V b@home=V", 2, 5.0)]
    [InlineData("a@home=V b@office=V", 2, 10.0)]
    // one copy: home min(10, 10) = 10, file 10 / 2 = 5
    [InlineData("a@home=V", 2, 5.0)]
    // three copies at one site are still one site: home min(30, 10) = 10, file 10 / 2 = 5
    [InlineData("a@home=V b@home=V c@home=V", 2, 5.0)]
    // three sites: 10 + 10 + 10 = 30, file min(30 / 2, 10) = 10
    [InlineData("a@home=V b@office=V c@cloud=V", 2, 10.0)]
    // unverified is M/2: home 5, file 5 / 2 = 2.5; two at home min(5 + 5, 10) = 10, file 5; one per site 5 + 5 = 10, file 5
    [InlineData("a@home=U", 2, 2.5)]
    [InlineData("a@home=U b@home=U", 2, 5.0)]
    [InlineData("a@home=U b@office=U", 2, 5.0)]
    // verified and unverified at two sites: 10 + 5 = 15, file 7.5; verified 31 days ago counts as unverified: 5 + 10 = 15, 7.5
    [InlineData("a@home=V b@office=U", 2, 7.5)]
    [InlineData("a@home=O b@office=V", 2, 7.5)]
    // corrupt, other digest and absent copies are 0: 0 + 10 = 10, file 5
    [InlineData("a@home=C b@office=V", 2, 5.0)]
    [InlineData("a@home=D b@office=V", 2, 5.0)]
    [InlineData("a@home=- b@office=V", 2, 5.0)]
    // a silent node's copy is 0 however good: 0 + 10 = 10, file 5; all silent: 0
    [InlineData("~a@home=V b@office=V", 2, 5.0)]
    [InlineData("~a@home=V ~b@office=V", 2, 0.0)]
    // nothing good anywhere: 0 + 0 + 0, lost
    [InlineData("a@home=C b@home=D c@office=-", 2, 0.0)]
    // d = 1: one verified copy is enough, min(10 / 1, 10) = 10; one unverified 5 / 1 = 5
    [InlineData("a@home=V", 1, 10.0)]
    [InlineData("a@home=U", 1, 5.0)]
    // d = 3: two sites 10 + 10 = 20, file 20 / 3; three sites 30 / 3 = 10
    [InlineData("a@home=V b@office=V", 3, 20.0 / 3)]
    [InlineData("a@home=V b@office=V c@cloud=U", 3, 25.0 / 3)]
    public void Score_OneFile_IsTheSumOfCappedSiteScoresOverD(string layout, int minGeoDup, double expected)
    {
        var report = Score(OneFile(layout), ScoreSettings.Default with { MinGeoDup = minGeoDup });

        Assert.Equal(expected, report.FileScores[0]);
        Assert.Equal(expected, report.Collection);
    }

    // With one file, a node's server score is its copy score.
    [Theory]
    [InlineData("a@home=V", 10.0)]
    [InlineData("a@home=U", 5.0)]
    [InlineData("a@home=O", 5.0)]
    [InlineData("a@home=C", 0.0)]
    [InlineData("a@home=D", 0.0)]
    [InlineData("a@home=-", 0.0)]
    [InlineData("~a@home=V", 0.0)]
    public void Score_OneFile_ServerScoreIsTheCopyScore(string layout, double expected)
    {
        var report = Score(OneFile(layout));

        Assert.Equal(expected, report.Servers["a"]);
    }

    [Fact]
    public void Score_MaxScoreOtherThanTen_ScalesCopiesAndCaps()
    {
        // M = 4: V = 4, U = 2; home min(4 + 2, 4) = 4, office 2; file min((4 + 2) / 2, 4) = 3
        var settings = ScoreSettings.Default with { MaxScore = 4 };

        var report = Score(OneFile("a@home=V b@home=U c@office=U"), settings);

        Assert.Equal(3.0, report.FileScores[0]);
        Assert.Equal(4.0, report.Servers["a"]);
        Assert.Equal(2.0, report.Servers["b"]);
    }

    [Fact]
    public void Score_ServerScore_IsTheMinimumOverFiles()
    {
        // a: min(10, 5, 10) = 5; b: min(10, 10, 0) = 0; c: min(10, 10, 10) = 10
        var input = new ScoringInput(Files(3), [
            Column("a", "home", Verified, Unverified, Verified),
            Column("b", "home", Verified, Verified, CopyState.Corrupt),
            Column("c", "office", Verified, Verified, Verified),
        ]);

        var report = Score(input);

        Assert.Equal(5.0, report.Servers["a"]);
        Assert.Equal(0.0, report.Servers["b"]);
        Assert.Equal(10.0, report.Servers["c"]);
    }

    [Fact]
    public void Score_Collection_IsTheMinimumOverFiles()
    {
        // file 0: 10 + 10 = 20 -> 10; file 1: 5 + 10 = 15 -> 7.5; file 2: 0 + 10 = 10 -> 5; collection min = 5
        var input = new ScoringInput(Files(3), [
            Column("a", "home", Verified, Unverified, CopyState.Absent),
            Column("b", "office", Verified, Verified, Verified),
        ]);

        var report = Score(input);

        Assert.Equal([10.0, 7.5, 5.0], report.FileScores.ToArray());
        Assert.Equal(5.0, report.Collection);
        Assert.Equal(0, report.FreshLeftOut);
    }

    [Fact]
    public void Score_NoFiles_EverythingIsMax()
    {
        // The minimum over no files is M: nothing is at risk (a silent node holds nothing to lose).
        var input = new ScoringInput(FileTable.Empty, [Column("a", "home"), Column("b", "office").Heard(LongAgo)]);

        var report = Score(input);

        Assert.Equal(10.0, report.Collection);
        Assert.Equal(10.0, report.Servers["a"]);
        Assert.Equal(10.0, report.Servers["b"]);
        Assert.Empty(report.FilesBelow(11));
        Assert.Empty(report.Shortfalls);
    }

    [Fact]
    public void Score_NoNodes_EveryFileIsLost()
    {
        var report = Score(new ScoringInput(Files(2), []));

        Assert.Equal([0.0, 0.0], report.FileScores.ToArray());
        Assert.Equal(0.0, report.Collection);
        Assert.Empty(report.Servers);
    }
}
