using Microsoft.Extensions.Configuration;

namespace MediaFleet.Coordinator.Configuration;

/// <summary>The <c>Score</c> section (DESIGN.md section 9): the preservation score's constants and how often it is computed.</summary>
public sealed class ScoreOptions
{
    public const string Section = "Score";

    /// <summary>M: a verified copy's worth, and the best score.</summary>
    public double MaxScore { get; set; } = 10;

    /// <summary>d: the number of sites a file should be held at.</summary>
    public int MinGeoDup { get; set; } = 2;

    /// <summary>A node silent this long (seconds) holds nothing that counts.</summary>
    public double ServerTtlSeconds { get; set; } = 600;

    /// <summary>A copy verified more recently (days) counts in full; the nodes' Scrub:CheckTtlDays should match.</summary>
    public double CheckTtlDays { get; set; } = 30;

    /// <summary>A file ingested this recently (hours) and still below M/2 is left out of the collection's score.</summary>
    public double UploadTtlHours { get; set; } = 24;

    /// <summary>Files below this are repaired first (default M).</summary>
    public double? RepairBelow { get; set; }

    /// <summary>Seconds between gathering the nodes' catalogs and scoring again.</summary>
    public double RefreshSeconds { get; set; } = 60;

    public static ScoreOptions From(IConfiguration configuration)
    {
        var options = new ScoreOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    internal Scores.ScoreSettings ToSettings() => new()
    {
        MaxScore = MaxScore,
        MinGeoDup = MinGeoDup,
        ServerTtl = TimeSpan.FromSeconds(ServerTtlSeconds),
        CheckTtl = TimeSpan.FromDays(CheckTtlDays),
        UploadTtl = TimeSpan.FromHours(UploadTtlHours),
        RepairBelow = RepairBelow,
    };

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(MaxScore > 0) || MinGeoDup < 1 || !(ServerTtlSeconds > 0) || !(CheckTtlDays >= 0) || !(UploadTtlHours >= 0) || RepairBelow < 0)
        {
            errors.Add("Score: MaxScore and ServerTtlSeconds must be more than 0, MinGeoDup at least 1, CheckTtlDays, UploadTtlHours and RepairBelow 0 or more");
        }
        if (!(RefreshSeconds > 0 && RefreshSeconds <= 86_400))
        {
            errors.Add("Score:RefreshSeconds must be more than 0 and at most 86400");
        }
        return errors;
    }
}
