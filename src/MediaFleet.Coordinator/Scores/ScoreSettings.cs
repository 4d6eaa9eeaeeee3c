namespace MediaFleet.Coordinator.Scores;

/// <summary>The knobs of DESIGN.md section 9, each with its default.</summary>
internal sealed record ScoreSettings
{
    public static ScoreSettings Default { get; } = new();

    /// <summary>M: a verified copy's score and every score's ceiling.</summary>
    public double MaxScore { get; init; } = 10;

    /// <summary>d: the number of sites a file should be at for the top score.</summary>
    public int MinGeoDup { get; init; } = 2;

    /// <summary>A node not heard for this long counts as holding nothing: its copies may be gone with it.</summary>
    public TimeSpan ServerTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A copy verified longer ago than this is only half trusted; the scrubber's period (section 7).</summary>
    public TimeSpan CheckTtl { get; init; } = TimeSpan.FromDays(30);

    /// <summary>A file ingested less than this long ago, still below M/2, is still being replicated: not yet a risk.</summary>
    public TimeSpan UploadTtl { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Files scoring below this are repaired; null means <see cref="MaxScore"/>, i.e. every file short of perfect.</summary>
    public double? RepairBelow { get; init; }

    public double RepairThreshold => RepairBelow ?? MaxScore;

    /// <summary>Every problem with these settings, as one plain line each (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!double.IsFinite(MaxScore) || MaxScore <= 0)
        {
            problems.Add($"MaxScore must be a positive number (got {MaxScore})");
        }
        if (MinGeoDup < 1)
        {
            problems.Add($"MinGeoDup must be at least 1 (got {MinGeoDup})");
        }
        foreach (var (name, value) in new[] { ("ServerTtl", ServerTtl), ("CheckTtl", CheckTtl), ("UploadTtl", UploadTtl) })
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add($"{name} must be positive (got {value})");
            }
        }
        if (RepairBelow is { } below && (double.IsNaN(below) || below < 0))
        {
            problems.Add($"RepairBelow must be 0 or more (got {below})");
        }
        return problems;
    }
}
