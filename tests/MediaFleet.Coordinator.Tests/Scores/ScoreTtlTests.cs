using System.Globalization;
using MediaFleet.Coordinator.Scores;
using static MediaFleet.Coordinator.Tests.Scores.ScoreInputs;

namespace MediaFleet.Coordinator.Tests.Scores;

/// <summary>The three TTLs at and next to their bounds: an age counts as "within" only strictly below the TTL.</summary>
public sealed class ScoreTtlTests
{
    private static readonly ScoreSettings Settings = ScoreSettings.Default;
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    // A node heard exactly ServerTtl ago is silent, as a server heard exactly DownAfter ago is down (section 6).
    [Theory]
    // heard a tick short of 10 min ago: live, a copy 10, file 10 / 2 = 5
    [InlineData(-1, 10.0, 5.0)]
    // heard exactly 10 min ago, or later: silent, every copy 0, file 0
    [InlineData(0, 0.0, 0.0)]
    [InlineData(1, 0.0, 0.0)]
    public void Score_NodeHeardAroundServerTtl(int ticksPastTtl, double serverScore, double fileScore)
    {
        var node = Column("a", "home", Verified).Heard(Now - Settings.ServerTtl - ticksPastTtl * Tick);

        var report = Score(new ScoringInput(Files(1), [node]));

        Assert.Equal(serverScore, report.Servers["a"]);
        Assert.Equal(fileScore, report.FileScores[0]);
    }

    // A copy verified exactly CheckTtl ago is due again (the scrubber's "less than CheckTtl ago waits"), so M/2.
    [Theory]
    // verified a tick short of 30 days ago: 10, file 10 / 2 = 5
    [InlineData(-1, 10.0, 5.0)]
    // verified exactly 30 days ago or earlier: 5, file 5 / 2 = 2.5
    [InlineData(0, 5.0, 2.5)]
    [InlineData(1, 5.0, 2.5)]
    public void Score_CopyVerifiedAroundCheckTtl(int ticksPastTtl, double copyScore, double fileScore)
    {
        var copy = CopyState.Ok(Now - Settings.CheckTtl - ticksPastTtl * Tick);

        var report = Score(new ScoringInput(Files(1), [Column("a", "home", copy)]));

        Assert.Equal(copyScore, report.Servers["a"]);
        Assert.Equal(fileScore, report.FileScores[0]);
    }

    [Fact]
    public void Score_CopyVerifiedInTheFuture_IsVerified()
    {
        // A node's clock ahead of the coordinator's must not make its copies look unverified: 10, file 5.
        var report = Score(new ScoringInput(Files(1), [Column("a", "home", CopyState.Ok(Now.AddMinutes(5)))]));

        Assert.Equal(10.0, report.Servers["a"]);
    }

    [Fact]
    public void Score_FreshFileBelowHalf_IsLeftOutOfTheCollectionOnly()
    {
        // file 0: old, a@home V + b@office V = 20 -> 10
        // file 1: ingested an hour ago, only a@home U = 5 -> 2.5 < M/2 = 5: left out of the collection, still listed
        var input = new ScoringInput(Files(LongAgo, Now.AddHours(-1)), [
            Column("a", "home", Verified, Unverified),
            Column("b", "office", Verified, CopyState.Absent),
        ]);

        var report = Score(input);

        Assert.Equal(10.0, report.Collection);
        Assert.Equal(1, report.FreshLeftOut);
        Assert.Equal(2.5, report.FileScores[1]);
        Assert.Equal([new ScoredFile(1, input.Files.Paths[1], 2.5)], report.FilesBelow(10));
        Assert.Equal(0.0, report.Servers["b"]);
    }

    [Theory]
    // ingested an hour ago, a@home V = 10 -> 5, not below M/2: counted
    [InlineData("01:00:00", "a@home=V", 5.0, 0)]
    // ingested an hour ago, nothing good -> 0: left out
    [InlineData("01:00:00", "a@home=-", 10.0, 1)]
    // ingested a tick short of a day ago, a@home U = 5 -> 2.5: still fresh, left out
    [InlineData("23:59:59.9999999", "a@home=U", 10.0, 1)]
    // ingested exactly a day ago, a@home U -> 2.5: no longer fresh, counted
    [InlineData("1.00:00:00", "a@home=U", 2.5, 0)]
    public void Score_FreshFile_CountedFromHalfOrOnceUploadTtlHasPassed(string age, string layout, double collection, int leftOut)
    {
        // File 0 is the one under test; file 1, old and verified at two sites (10), keeps the collection at M otherwise.
        var fresh = OneFile(layout);
        var copy = fresh.Nodes[0].Copies[0];
        var input = new ScoringInput(Files(Now - TimeSpan.Parse(age, CultureInfo.InvariantCulture), LongAgo), [
            Column("a", "home", copy, Verified),
            Column("b", "office", CopyState.Absent, Verified),
        ]);

        var report = Score(input);

        Assert.Equal(collection, report.Collection);
        Assert.Equal(leftOut, report.FreshLeftOut);
    }
}
