using Microsoft.Extensions.Configuration;

namespace MediaFleet.Node.Configuration;

/// <summary>The <c>Scrub</c> section (DESIGN.md section 7): how hard and how often the node re-hashes its copies.</summary>
public sealed class ScrubOptions
{
    public const string Section = "Scrub";

    /// <summary>Read budget of the scheduled scrub in MB/s (10^6 bytes); 0 turns it off (<c>mfleet verify</c> still works).</summary>
    public double BudgetMBps { get; set; } = 50;

    /// <summary>A copy verified less than this many days ago waits: a month keeps the disk mostly idle.</summary>
    public double CheckTtlDays { get; set; } = 30;

    /// <summary>Seconds between scrub rounds when nothing is due.</summary>
    public double IdleSeconds { get; set; } = 60;

    public TimeSpan CheckTtl => TimeSpan.FromDays(CheckTtlDays);

    public static ScrubOptions From(IConfiguration configuration)
    {
        var options = new ScrubOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(BudgetMBps >= 0 && BudgetMBps <= 100_000))
        {
            errors.Add("Scrub:BudgetMBps must be between 0 (off) and 100000");
        }
        if (!(CheckTtlDays >= 0 && CheckTtlDays <= 36_500))
        {
            errors.Add("Scrub:CheckTtlDays must be between 0 and 36500");
        }
        if (!(IdleSeconds > 0 && IdleSeconds <= 86_400))
        {
            errors.Add("Scrub:IdleSeconds must be more than 0 and at most 86400");
        }
        return errors;
    }
}
