using MediaFleet.Hosting;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Conversion.Worker;

/// <summary>The <c>Worker</c> section: every setting of <c>mfleet worker</c>, with its default and why.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>The broker to lease jobs from; required.</summary>
    public string Broker { get; set; } = "";

    /// <summary>
    /// Where <c>/healthz</c> and <c>/metrics</c> answer (an addition to DESIGN.md: every role serves them); loopback port
    /// 8491 by default, port 0 picks a free one for a second worker on the same machine.
    /// </summary>
    public string Listen { get; set; } = "http://127.0.0.1:8491";

    /// <summary>Jobs run at once: one per core suits single-threaded profiles, one per machine suits multi-threaded ones.</summary>
    public int Slots { get; set; } = 1;

    /// <summary>Where inputs and outputs live while a job runs; emptied of this worker's files after every job.</summary>
    public string Scratch { get; set; } = Path.Combine(Path.GetTempPath(), "mfleet-worker");

    /// <summary>A name for this worker in the broker's jobs; default: the host name and process id.</summary>
    public string? Id { get; set; }

    /// <summary>
    /// Scratch bytes kept free beyond a job's input (its output and ffmpeg's own files): 1 GiB. No lease is taken while
    /// the scratch space is short of an input plus this.
    /// </summary>
    public long MarginBytes { get; set; } = 1L << 30;

    /// <summary>Seconds a lease request waits at the broker for a job (a long poll: new jobs start at once).</summary>
    public int LeaseWaitSeconds { get; set; } = 20;

    /// <summary>
    /// Seconds a transfer may go without a byte before it is given up and resumed: long enough for a busy broker, short
    /// enough that a silently dropped connection does not hold a job.
    /// </summary>
    public double TransferIdleSeconds { get; set; } = 30;

    public static WorkerOptions From(IConfiguration configuration)
    {
        var options = new WorkerOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    /// <summary>Every problem with these settings, as one plain line each (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!RoleUrls.IsHttpUrl(Broker))
        {
            errors.Add(Broker.Length == 0 ? "Worker:Broker (--broker URL) is required" : $"Worker:Broker (--broker) '{Broker}' is not an http(s) URL");
        }
        if (!RoleUrls.IsListenUrl(Listen))
        {
            errors.Add($"Worker:Listen (--listen) '{Listen}' is not an http URL such as http://127.0.0.1:8491");
        }
        if (Slots is < 1 or > 256)
        {
            errors.Add("Worker:Slots (--slots) must be between 1 and 256");
        }
        if (string.IsNullOrWhiteSpace(Scratch))
        {
            errors.Add("Worker:Scratch (--scratch) must name a folder");
        }
        if (MarginBytes < 0)
        {
            errors.Add("Worker:MarginBytes must be zero or more");
        }
        if (LeaseWaitSeconds is < 0 or > 60)
        {
            errors.Add("Worker:LeaseWaitSeconds must be between 0 and 60");
        }
        if (TransferIdleSeconds is not (> 0 and <= 3600))
        {
            errors.Add("Worker:TransferIdleSeconds must be between 0 and 3600 seconds");
        }
        if (Id is not null && (Id.Length is 0 or > 64 || !Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            errors.Add($"Worker:Id '{Id}' must be 1–64 letters, digits, '-', '_' or '.'");
        }
        return errors;
    }
}
