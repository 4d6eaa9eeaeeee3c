using MediaFleet.Hosting;
using MediaFleet.Coordinator.States;
using MediaFleet.Hosting.Processes;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Coordinator.Configuration;

/// <summary>The <c>Coordinator</c> section: every setting of <c>mfleet coordinator</c>, with its default and why.</summary>
public sealed class CoordinatorOptions
{
    public const string Section = "Coordinator";

    /// <summary>Where the coordinator's API listens; loopback by default, like the node.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:8460";

    /// <summary>The nginx file of server lines to keep (none: no nginx).</summary>
    public string? NginxConf { get; set; }

    /// <summary>Checks nginx's whole configuration with a new file in place; nothing is reloaded when it fails.</summary>
    public string NginxTest { get; set; } = "nginx -t";

    /// <summary>Makes nginx read its configuration again; existing connections finish on the old workers.</summary>
    public string NginxReload { get; set; } = "nginx -s reload";

    /// <summary>Where the built-in balancer listens (none: no built-in balancer); DESIGN.md's default port is 8480.</summary>
    public string? Proxy { get; set; }

    /// <summary>A broker whose conversion queue the dashboard shows (none: no queue on the dashboard); read with the cluster token.</summary>
    public string? Broker { get; set; }

    /// <summary>Seconds between a node's heartbeats, as the nodes are configured.</summary>
    public double HeartbeatInterval { get; set; } = 2;

    /// <summary>Seconds of silence after which a server is down; default three missed heartbeats.</summary>
    public double? DownAfter { get; set; }

    /// <summary>Consecutive good heartbeats before a server is moved to a better state: no flapping.</summary>
    public int RecoverAfter { get; set; } = ServerStateRules.DefaultRecoverAfter;

    /// <summary>Seconds to gather state changes into one write of the nginx file: reloads cut long streams.</summary>
    public double ReloadDebounce { get; set; } = 2;

    /// <summary>The load above which a server becomes backup where no threshold line says otherwise (built-in proxy).</summary>
    public double BackupThreshold { get; set; } = Thresholds.Default.Backup;

    /// <summary>The load above which a server becomes down where no threshold line says otherwise (built-in proxy).</summary>
    public double DownThreshold { get; set; } = Thresholds.Default.Down;

    /// <summary>
    /// <c>udp://HOST:PORT</c> where the old heartbeat daemon's packets are also taken (its default port was 8001), for
    /// moving a cluster over one server at a time; <c>localhost</c> listens on 127.0.0.1 and ::1. None by default.
    /// </summary>
    public string? SeedHeartbeats { get; set; }

    public TimeSpan Interval => TimeSpan.FromSeconds(HeartbeatInterval);

    public TimeSpan SilenceLimit => TimeSpan.FromSeconds(DownAfter ?? 3 * HeartbeatInterval);

    public TimeSpan Debounce => TimeSpan.FromSeconds(ReloadDebounce);

    internal Thresholds DefaultThresholds => new(BackupThreshold, DownThreshold);

    public static CoordinatorOptions From(IConfiguration configuration)
    {
        var options = new CoordinatorOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    /// <summary>Every problem with these settings, as one plain line each (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!RoleUrls.IsListenUrl(Listen))
        {
            errors.Add($"Coordinator:Listen (--listen) '{Listen}' is not an http URL on an IP address, localhost or *, such as http://127.0.0.1:8460");
        }
        if (Proxy is not null && !RoleUrls.IsListenUrl(Proxy))
        {
            errors.Add($"Coordinator:Proxy (--proxy) '{Proxy}' is not an http URL on an IP address, localhost or *, such as http://127.0.0.1:8480");
        }
        // By port, not by text: "http://0.0.0.0:8460" or a trailing '/' is the same port; and only once both are valid,
        // since new Uri throws on what IsListenUrl refused (reported above).
        if (Proxy is not null && RoleUrls.IsListenUrl(Proxy) && RoleUrls.IsListenUrl(Listen) && new Uri(Proxy).Port is var port and not 0 && port == new Uri(Listen).Port)
        {
            errors.Add("Coordinator:Proxy (--proxy) must listen on another port than Coordinator:Listen (--listen)");
        }
        if (Broker is not null && !RoleUrls.IsHttpUrl(Broker))
        {
            errors.Add($"Coordinator:Broker (--broker) '{Broker}' is not an http(s) URL, such as http://127.0.0.1:8490");
        }
        if (NginxConf is not null && !File.Exists(NginxConf))
        {
            errors.Add($"Coordinator:NginxConf (--nginx-conf) '{NginxConf}': no such file");
        }
        if (NginxConf is not null && (!IsCommand(NginxTest) || !IsCommand(NginxReload)))
        {
            errors.Add("Coordinator:NginxTest and Coordinator:NginxReload (--nginx-test, --nginx-reload) must name a command (quotes closed)");
        }
        if (HeartbeatInterval is not (> 0 and <= 3600))
        {
            errors.Add("Coordinator:HeartbeatInterval must be between 0 and 3600 seconds");
        }
        if (DownAfter is { } down && !(down > 0 && down <= 86_400))
        {
            errors.Add("Coordinator:DownAfter must be more than 0 and at most 86400 seconds");
        }
        if (RecoverAfter is < 1 or > 1000)
        {
            errors.Add("Coordinator:RecoverAfter must be between 1 and 1000 heartbeats");
        }
        if (ReloadDebounce is not (>= 0 and <= 3600))
        {
            errors.Add("Coordinator:ReloadDebounce must be between 0 and 3600 seconds");
        }
        if (!(BackupThreshold >= 0 && DownThreshold >= 0))
        {
            errors.Add("Coordinator:BackupThreshold and Coordinator:DownThreshold must be zero or more");
        }
        if (SeedHeartbeats is not null && Seed.SeedEndpoints.TryParse(SeedHeartbeats, out _) is false)
        {
            errors.Add($"Coordinator:SeedHeartbeats (--seed-heartbeats) '{SeedHeartbeats}' is not udp://HOST:PORT on an IP address, localhost or *, such as udp://0.0.0.0:8001");
        }
        return errors;
    }

    private static bool IsCommand(string text)
    {
        try
        {
            return CommandWords.Split(text).Count > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
