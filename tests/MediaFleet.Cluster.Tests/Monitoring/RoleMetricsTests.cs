using System.Text.RegularExpressions;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests.Monitoring;

/// <summary>
/// Every role's <c>/metrics</c>, scraped from a real process: it names its service in <c>target_info</c> (not
/// <c>unknown_service:dotnet</c>) and passes <c>promtool check metrics</c>.
/// </summary>
public sealed class RoleMetricsTests(RunningRoles roles) : IClassFixture<RunningRoles>
{
    [Fact]
    public async Task Node_Metrics_NameTheServiceTheNodeAndItsSite()
    {
        var primary = await RunningRoles.ScrapeAsync(roles.Primary);
        var follower = await RunningRoles.ScrapeAsync(roles.Follower);

        var target = TargetInfo(primary);
        Assert.Equal("mfleet-node", target["service_name"]);
        Assert.Equal("a", target["service_instance_id"]);
        Assert.Equal("home", target["mfleet_site"]);
        Assert.Equal("primary", target["mfleet_node_role"]);
        Assert.Equal("follower", TargetInfo(follower)["mfleet_node_role"]);
        Assert.Matches(@"(?m)^mfleet_data_version\{[^}]*node=""b""[^}]*\} \d+$", follower);
        await AssertPromtoolAcceptsAsync(primary);
        await AssertPromtoolAcceptsAsync(follower);
    }

    [Fact]
    public async Task Coordinator_Metrics_NameTheServiceAndEachServerWithItsSite()
    {
        var text = await ScrapeWhenAsync(roles.Coordinator, t => t.Contains("node=\"b\"", StringComparison.Ordinal) && t.Contains("mfleet_score_collection", StringComparison.Ordinal));

        Assert.Equal("mfleet-coordinator", TargetInfo(text)["service_name"]);
        Assert.Matches(@"(?m)^mfleet_coordinator_server_state\{[^}]*node=""b"",site=""away"",state=""down""[^}]*\} [01]$", text);
        Assert.Matches(@"(?m)^mfleet_coordinator_server_lag\{[^}]*node=""a"",site=""home""[^}]*\} 0$", text);
        await AssertPromtoolAcceptsAsync(text);
    }

    [Fact]
    public async Task Broker_Metrics_NameTheServiceAndCountEndedJobsFromZero()
    {
        var text = await RunningRoles.ScrapeAsync(roles.Broker);

        Assert.Equal("mfleet-broker", TargetInfo(text)["service_name"]);
        Assert.Matches(@"(?m)^mfleet_broker_jobs_ended_total\{[^}]*state=""failed""[^}]*\} 0$", text);
        await AssertPromtoolAcceptsAsync(text);
    }

    [Fact]
    public async Task Worker_Metrics_NameTheServiceAndTheWorker()
    {
        var text = await RunningRoles.ScrapeAsync(roles.Worker);

        var target = TargetInfo(text);
        Assert.Equal("mfleet-worker", target["service_name"]);
        Assert.Equal("w1", target["service_instance_id"]);
        await AssertPromtoolAcceptsAsync(text);
    }

    /// <summary>Scrapes until <paramref name="ready"/> holds (heartbeats and the first score pass take a moment).</summary>
    internal static async Task<string> ScrapeWhenAsync(NodeProcess role, Func<string, bool> ready)
    {
        var text = "";
        await Eventually.TrueAsync(async () => ready(text = await RunningRoles.ScrapeAsync(role)), "the coordinator's gauges for both nodes and the score");
        return text;
    }

    /// <summary>The labels of the one <c>target_info</c> sample: the role's OpenTelemetry resource.</summary>
    internal static Dictionary<string, string> TargetInfo(string metrics)
    {
        var line = Assert.Single(metrics.Split('\n'), l => l.StartsWith("target_info{", StringComparison.Ordinal));
        return Regex.Matches(line, @"(\w+)=""([^""]*)""").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    internal static async Task AssertPromtoolAcceptsAsync(string metrics)
    {
        var check = await Promtool.RunAsync(Promtool.RulesFolder, metrics, "check", "metrics");
        Assert.True(check.ExitCode == 0, check.Output + "\n--- the scraped text:\n" + metrics);
    }
}
