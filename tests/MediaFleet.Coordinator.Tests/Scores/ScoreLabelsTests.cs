using MediaFleet.Coordinator.Scores;

namespace MediaFleet.Coordinator.Tests.Scores;

public sealed class ScoreLabelsTests
{
    // 0 lost; 0 < s <= 1 serious risk; 1 < s <= 5 bad; 5 < s <= 7.5 good; above 7.5 very good (M = 10).
    [Theory]
    [InlineData(0.0, "lost")]
    [InlineData(0.0001, "serious risk")]
    [InlineData(1.0, "serious risk")]
    [InlineData(1.0001, "bad")]
    [InlineData(2.5, "bad")]
    [InlineData(5.0, "bad")]
    [InlineData(5.0001, "good")]
    [InlineData(7.5, "good")]
    [InlineData(7.51, "very good")]
    [InlineData(10.0, "very good")]
    public void Of_EachBound_BelongsToTheLowerLabel(double score, string label)
    {
        Assert.Equal(label, ScoreLabels.Of(score).Text());
    }

    // The bounds are M/10, M/2 and 3M/4: with M = 4 they are 0.4, 2 and 3.
    [Theory]
    [InlineData(0.4, "serious risk")]
    [InlineData(0.41, "bad")]
    [InlineData(2.0, "bad")]
    [InlineData(3.0, "good")]
    [InlineData(3.01, "very good")]
    public void Of_OtherMaxScore_ScalesTheBounds(double score, string label)
    {
        Assert.Equal(label, ScoreLabels.Of(score, maxScore: 4).Text());
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void Of_NoScore_Throws(double score)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ScoreLabels.Of(score));
    }
}
