using System.Text.RegularExpressions;

namespace MediaFleet.Cluster.Tests.Monitoring;

/// <summary>
/// deploy/prometheus: the rules are valid, their unit tests pass, the example configuration loads them, and every
/// metric and label value a rule selects is one that a real role exports (so the rules cannot drift from the code).
/// </summary>
public sealed partial class AlertRulesTests(RunningRoles roles) : IClassFixture<RunningRoles>
{
    /// <summary>Series that Prometheus makes itself for every target, not the roles.</summary>
    private static readonly HashSet<string> FromPrometheus = ["up"];

    [Fact]
    public async Task Rules_PassPromtoolCheck()
    {
        var check = await Promtool.RunAsync(Promtool.RulesFolder, null, "check", "rules", "alerts.yml");

        Assert.True(check.ExitCode == 0, check.Output);
    }

    [Fact]
    public async Task Rules_PassTheirUnitTests()
    {
        var test = await Promtool.RunAsync(Promtool.RulesFolder, null, "test", "rules", "alerts.test.yml");

        Assert.True(test.ExitCode == 0, test.Output);
    }

    [Fact]
    public async Task ExampleConfiguration_PassesPromtoolCheck()
    {
        var check = await Promtool.RunAsync(Promtool.RulesFolder, null, "check", "config", "prometheus.yml");

        Assert.True(check.ExitCode == 0, check.Output);
    }

    [Fact]
    public void Rules_EachAlertHasAUnitTestThatSeesItFire()
    {
        var rules = File.ReadAllText(Path.Combine(Promtool.RulesFolder, "alerts.yml"));
        var tests = File.ReadAllText(Path.Combine(Promtool.RulesFolder, "alerts.test.yml"));
        var alerts = AlertName().Matches(rules).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.NotEmpty(alerts);
        // A firing case is an alertname followed by a non-empty exp_alerts list; a quiet case has "exp_alerts: []".
        var firing = FiringCase().Matches(tests).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Subset(firing, alerts);
        var quiet = QuietCase().Matches(tests).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Subset(quiet, alerts);
    }

    [Fact]
    public async Task Rules_SelectOnlyMetricsAndLabelValuesThatTheRolesExport()
    {
        var exported = string.Join('\n',
            await RoleMetricsTests.ScrapeWhenAsync(roles.Coordinator, t => t.Contains("node=\"b\"", StringComparison.Ordinal) && t.Contains("mfleet_score_collection", StringComparison.Ordinal)),
            await RunningRoles.ScrapeAsync(roles.Primary),
            await RunningRoles.ScrapeAsync(roles.Follower),
            await RunningRoles.ScrapeAsync(roles.Broker),
            await RunningRoles.ScrapeAsync(roles.Worker));
        var selectors = Selectors(File.ReadAllText(Path.Combine(Promtool.RulesFolder, "alerts.yml"))).ToList();

        Assert.Contains(selectors, s => s.Metric == "mfleet_score_collection");
        var absent = selectors
            .Where(s => !FromPrometheus.Contains(s.Metric))
            .Where(s => !Regex.IsMatch(exported, $@"(?m)^{Regex.Escape(s.Metric)}\{{{string.Concat(s.Labels.Select(l => $@"(?=[^}}]*\b{l.Key}=""{Regex.Escape(l.Value)}"")"))}[^}}]*\}} "))
            .Select(s => s.Text)
            .ToList();
        Assert.True(absent.Count == 0, "no role exports: " + string.Join(", ", absent));
    }

    /// <summary>Every series selector in the rules' expressions: a metric name and its exact-match labels.</summary>
    internal static IEnumerable<(string Text, string Metric, Dictionary<string, string> Labels)> Selectors(string rules)
    {
        foreach (Match expr in Expression().Matches(rules))
        {
            foreach (Match selector in Selector().Matches(expr.Groups[1].Value))
            {
                var metric = selector.Groups["metric"].Value;
                if (Keywords.Contains(metric))
                {
                    continue;
                }
                var labels = ExactLabel().Matches(selector.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
                yield return (selector.Value, metric, labels);
            }
        }
    }

    private static readonly HashSet<string> Keywords = ["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"];

    [GeneratedRegex(@"(?m)^\s*- alert: (\w+)\s*$")]
    private static partial Regex AlertName();

    [GeneratedRegex(@"alertname: (\w+)\s*\n\s*exp_alerts:\s*\n\s*- exp_labels:")]
    private static partial Regex FiringCase();

    [GeneratedRegex(@"alertname: (\w+)\s*\n\s*exp_alerts: \[\]")]
    private static partial Regex QuietCase();

    [GeneratedRegex(@"(?m)^\s*expr: (.+)$")]
    private static partial Regex Expression();

    // A name not preceded by a name character or digit (so "1h" in a range is not one) and not followed by "(" (a function).
    [GeneratedRegex(@"(?<![\w:])(?<metric>[a-zA-Z_:][\w:]*)(?<labels>\{[^}]*\})?(?!\s*[\w:(])")]
    private static partial Regex Selector();

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex ExactLabel();
}
