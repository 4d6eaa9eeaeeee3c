using MediaFleet.Hosting;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Conversion.Broker;

/// <summary>The <c>Broker</c> section: every setting of <c>mfleet broker</c>, with its default and why.</summary>
public sealed class BrokerOptions
{
    public const string Section = "Broker";

    /// <summary>The broker's folder: <c>broker.db</c>, <c>jobs/&lt;id&gt;/</c>, <c>tmp/</c>; required, created when absent.</summary>
    public string Data { get; set; } = "";

    /// <summary>Where to listen; loopback by default so a fresh install exposes nothing until told to.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:8490";

    /// <summary>The primary node that outputs with <c>ingest_as</c> are put into (none: <c>ingest_as</c> is refused).</summary>
    public string? Node { get; set; }

    /// <summary>Seconds a lease lasts unless renewed: a killed worker's job is queued again this long after it went silent.</summary>
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>Attempts before a job fails: a broken input fails for good, a passing fault (a killed worker) is retried.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Days a finished job's files are kept after the client fetched them (failed and cancelled: after they ended).</summary>
    public double KeepDays { get; set; } = 7;

    /// <summary>Free bytes every upload must leave on the broker's disk: 1 GiB keeps the OS and SQLite able to work.</summary>
    public long ReserveBytes { get; set; } = 1L << 30;

    public static BrokerOptions From(IConfiguration configuration)
    {
        var options = new BrokerOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    /// <summary>Every problem with these settings, as one plain line each (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Data))
        {
            errors.Add("Broker:Data (--data) is required: the broker's folder for jobs and their files");
        }
        if (!RoleUrls.IsListenUrl(Listen))
        {
            errors.Add($"Broker:Listen (--listen) '{Listen}' is not an http URL such as http://127.0.0.1:8490");
        }
        if (Node is not null && !RoleUrls.IsHttpUrl(Node))
        {
            errors.Add($"Broker:Node (--node) '{Node}' is not an http(s) URL");
        }
        if (LeaseSeconds is < 2 or > 3600)
        {
            errors.Add("Broker:LeaseSeconds must be between 2 and 3600");
        }
        if (MaxAttempts is < 1 or > 100)
        {
            errors.Add("Broker:MaxAttempts must be between 1 and 100");
        }
        if (KeepDays is not (>= 0 and <= 36500))
        {
            errors.Add("Broker:KeepDays must be between 0 and 36500");
        }
        if (ReserveBytes < 0)
        {
            errors.Add("Broker:ReserveBytes must be zero or more");
        }
        return errors;
    }
}
