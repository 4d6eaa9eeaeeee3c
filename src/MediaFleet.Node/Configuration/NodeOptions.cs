using MediaFleet.Hosting;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Node.Configuration;

/// <summary>The <c>Node</c> section: every setting of <c>mfleet node</c>, with its default and why.</summary>
public sealed class NodeOptions
{
    public const string Section = "Node";

    /// <summary>The library folder; required, created when absent.</summary>
    public string Data { get; set; } = "";

    /// <summary>This node assigns data versions and takes writes.</summary>
    public bool Primary { get; set; }

    /// <summary>The node this follower replicates from (a tree rooted at the primary).</summary>
    public string? Upstream { get; set; }

    /// <summary>Where to listen; loopback by default so a fresh install exposes nothing until told to.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:8470";

    /// <summary>A stable name for this node; default: an id made once and kept in the catalog.</summary>
    public string? Id { get; set; }

    /// <summary>The coordinator heartbeats go to (none: no heartbeats).</summary>
    public string? Coordinator { get; set; }

    /// <summary>Seconds between heartbeats to the coordinator; its DownAfter is three of them by default.</summary>
    public double HeartbeatInterval { get; set; } = 2;

    /// <summary>HOST:PORT as nginx reaches this node; default: the listen address.</summary>
    public string? Advertise { get; set; }

    /// <summary>The site (building, city) this node stands at, for the preservation score.</summary>
    public string? Site { get; set; }

    /// <summary>Free bytes every write must leave on the disk: 1 GiB keeps the OS and SQLite able to work.</summary>
    public long ReserveBytes { get; set; } = 1L << 30;

    /// <summary>Parallel transfers while provisioning: a few hide per-file latency without thrashing one disk.</summary>
    public int TransferParallelism { get; set; } = 4;

    /// <summary>Longest wait between retries of a missing file, in seconds (back-off doubles up to this).</summary>
    public int RetryMaxSeconds { get; set; } = 300;

    /// <summary>How long a follower's long-poll for changes waits upstream, in seconds.</summary>
    public int ChangesWaitSeconds { get; set; } = 25;

    /// <summary>
    /// Seconds a transfer may go without receiving a byte before it is given up and resumed later: long enough for a
    /// busy upstream, short enough that a silently dropped connection does not hold replication.
    /// </summary>
    public double TransferIdleSeconds { get; set; } = 30;

    public static NodeOptions From(IConfiguration configuration)
    {
        var options = new NodeOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    /// <summary>Every problem with these settings, as one plain line each (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Data))
        {
            errors.Add("Node:Data (--data) is required: the library folder");
        }
        if (Primary == (Upstream is not null))
        {
            errors.Add("a node is either --primary or --upstream URL, exactly one of them");
        }
        if (Upstream is not null && !RoleUrls.IsHttpUrl(Upstream))
        {
            errors.Add($"Node:Upstream (--upstream) '{Upstream}' is not an http(s) URL");
        }
        if (Coordinator is not null && !RoleUrls.IsHttpUrl(Coordinator))
        {
            errors.Add($"Node:Coordinator (--coordinator) '{Coordinator}' is not an http(s) URL");
        }
        if (!RoleUrls.IsHttpUrl(Listen))
        {
            errors.Add($"Node:Listen (--listen) '{Listen}' is not an http URL such as http://127.0.0.1:8470");
        }
        if (TransferParallelism is < 1 or > 64)
        {
            errors.Add("Node:TransferParallelism must be between 1 and 64");
        }
        if (RetryMaxSeconds < 1 || ChangesWaitSeconds is < 0 or > 60)
        {
            errors.Add("Node:RetryMaxSeconds must be at least 1 and Node:ChangesWaitSeconds between 0 and 60");
        }
        if (TransferIdleSeconds is not (> 0 and <= 3600))
        {
            errors.Add("Node:TransferIdleSeconds must be between 0 and 3600 seconds");
        }
        if (HeartbeatInterval is not (> 0 and <= 3600))
        {
            errors.Add("Node:HeartbeatInterval must be between 0 and 3600 seconds");
        }
        if (Advertise is not null && (Advertise.Length is 0 or > 255 || Advertise.Any(c => char.IsWhiteSpace(c) || c is ';' or '#' or '/' or '{' or '}')))
        {
            errors.Add($"Node:Advertise (--advertise) '{Advertise}' must be HOST:PORT as nginx reaches this node");
        }
        if (ReserveBytes < 0)
        {
            errors.Add("Node:ReserveBytes must be zero or more");
        }
        if (Id is not null && (Id.Length is 0 or > 64 || !Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            errors.Add($"Node:Id (--id) '{Id}' must be 1–64 letters, digits, '-', '_' or '.'");
        }
        return errors;
    }
}
