using System.Globalization;

namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>
/// What the environment asks of the campaign. <c>MFLEET_CAMPAIGN_SECONDS</c>: how long each run puts faults on the
/// cluster (default 50, so three runs stay under four minutes); <c>MFLEET_CAMPAIGN_RUNS</c>: how many runs with fresh seeds (default 3);
/// <c>MFLEET_CAMPAIGN_SEED</c>: one run with this seed, to replay a failure.
/// </summary>
internal static class CampaignSettings
{
    public static TimeSpan Duration => TimeSpan.FromSeconds(Number("MFLEET_CAMPAIGN_SECONDS", 50));

    /// <summary>The seeds of this test run: the one asked for, or fresh ones.</summary>
    public static IEnumerable<object[]> Seeds()
    {
        if (Environment.GetEnvironmentVariable("MFLEET_CAMPAIGN_SEED") is { Length: > 0 } text)
        {
            return [[int.Parse(text, CultureInfo.InvariantCulture)]];
        }
        var runs = Number("MFLEET_CAMPAIGN_RUNS", 3);
        return Enumerable.Range(0, runs).Select(_ => new object[] { Random.Shared.Next(1, 1_000_000) }).ToList();
    }

    private static int Number(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
