namespace MediaFleet.Coordinator.Scores;

/// <summary>The words DESIGN.md section 9 prints beside a score.</summary>
internal enum ScoreLabel
{
    Lost,
    SeriousRisk,
    Bad,
    Good,
    VeryGood,
}

/// <summary>
/// Labels a score: 0 lost, up to 1 serious risk, up to 5 bad, up to 7.5 good, above that very good (M = 10).
/// The bounds are tenths of M (1/10, 1/2, 3/4), so they keep their meaning under another MaxScore:
/// up to M/2 is at best one unverified copy's worth.
/// </summary>
internal static class ScoreLabels
{
    public static ScoreLabel Of(double score, double maxScore = 10)
    {
        if (double.IsNaN(score) || score < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, "a score is 0 or more");
        }
        return score switch
        {
            0 => ScoreLabel.Lost,
            _ when score <= maxScore / 10 => ScoreLabel.SeriousRisk,
            _ when score <= maxScore / 2 => ScoreLabel.Bad,
            _ when score <= maxScore * 3 / 4 => ScoreLabel.Good,
            _ => ScoreLabel.VeryGood,
        };
    }

    /// <summary>The label as <c>mfleet score</c> and the dashboard print it.</summary>
    public static string Text(this ScoreLabel label) => label switch
    {
        ScoreLabel.Lost => "lost",
        ScoreLabel.SeriousRisk => "serious risk",
        ScoreLabel.Bad => "bad",
        ScoreLabel.Good => "good",
        ScoreLabel.VeryGood => "very good",
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, null),
    };
}
