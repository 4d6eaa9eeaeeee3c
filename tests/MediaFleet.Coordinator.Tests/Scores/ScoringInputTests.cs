using MediaFleet.Coordinator.Scores;
using static MediaFleet.Coordinator.Tests.Scores.ScoreInputs;

namespace MediaFleet.Coordinator.Tests.Scores;

public sealed class ScoringInputTests
{
    [Fact]
    public void Sites_NumberedInTheOrderNodesNameThem()
    {
        var input = new ScoringInput(Files(0), [Column("a", "office"), Column("b", "home"), Column("c", "office"), Column("d", "")]);

        Assert.Equal<string>(["office", "home", ""], input.Sites);
        Assert.Equal([0, 1, 0, 2], Enumerable.Range(0, 4).Select(input.SiteOf));
    }

    [Fact]
    public void Constructor_ColumnOfAnotherLength_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new ScoringInput(Files(2), [Column("a", "home", Verified)]));

        Assert.Contains("node 'a' has 1 copies for 2 files", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_SameNodeTwice_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ScoringInput(Files(0), [Column("a", "home"), Column("a", "office")]));
    }

    [Fact]
    public void Constructor_MoreSitesThanMax_Throws()
    {
        var nodes = Enumerable.Range(0, ScoringInput.MaxSites + 1).Select(i => Column($"n{i}", $"site{i}"));

        Assert.Throws<ArgumentException>(() => { _ = new ScoringInput(Files(0), nodes); });
    }

    [Fact]
    public void FileTable_ColumnsOfDifferentLengths_Throws()
    {
        var two = Files(2);

        Assert.Throws<ArgumentException>(() => new FileTable(two.Paths, two.Digests, [Now]));
    }

    [Fact]
    public void CopyState_KeepsHealthAndVerifiedAt()
    {
        var at = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.FromHours(2));

        Assert.Equal(CopyHealth.Absent, default(CopyState).Health);
        Assert.Equal((CopyHealth.Ok, at), (CopyState.Ok(at).Health, CopyState.Ok(at).VerifiedAt));
        Assert.Null(CopyState.Ok(null).VerifiedAt);
        Assert.Equal(CopyHealth.Corrupt, CopyState.Corrupt.Health);
        Assert.Equal(CopyHealth.OtherDigest, CopyState.OtherDigest.Health);
        Assert.Null(CopyState.Corrupt.VerifiedAt);
        Assert.Equal(CopyHealth.Ok, CopyState.Ok(DateTimeOffset.MaxValue).Health);
        Assert.Equal(DateTimeOffset.MaxValue, CopyState.Ok(DateTimeOffset.MaxValue).VerifiedAt);
    }

    [Fact]
    public void Settings_Validate_OneLinePerProblem()
    {
        var settings = new ScoreSettings { MaxScore = 0, MinGeoDup = 0, CheckTtl = TimeSpan.Zero, RepairBelow = -1 };

        Assert.Equal(
            ["MaxScore must be a positive number (got 0)", "MinGeoDup must be at least 1 (got 0)",
             "CheckTtl must be positive (got 00:00:00)", "RepairBelow must be 0 or more (got -1)"],
            settings.Validate());
        Assert.Empty(ScoreSettings.Default.Validate());
        Assert.Throws<ArgumentException>(() => Score(new ScoringInput(Files(0), []), settings));
    }
}
