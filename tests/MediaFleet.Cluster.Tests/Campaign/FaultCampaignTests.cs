using Xunit.Abstractions;

namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>
/// The fault campaign (issue 10): a writer writes without pause while processes are killed with SIGKILL and restarted
/// and proxies cut and stall replication; once faults and writes stop, every follower must converge and nothing the
/// primary acknowledged may be lost. Seeded: the seed is in the test's name, its output and any failure message;
/// MFLEET_CAMPAIGN_SEED=N replays it, MFLEET_CAMPAIGN_SECONDS sets the length of a run, MFLEET_CAMPAIGN_RUNS their number.
/// </summary>
[Collection(CampaignCollection.Name)]
public sealed class FaultCampaignTests(ITestOutputHelper output)
{
    /// <summary>
    /// How long followers get to converge once faults stop: a stalled transfer is dropped after TransferIdleSeconds, a
    /// stalled long-poll after ChangesWaitSeconds + 30 s, retries back off to 5 s; long runs leave more to catch up.
    /// </summary>
    private static TimeSpan ConvergeWithin(TimeSpan duration) => TimeSpan.FromSeconds(Math.Max(90, duration.TotalSeconds / 10));

    public static IEnumerable<object[]> Seeds() => CampaignSettings.Seeds();

    [Theory]
    [MemberData(nameof(Seeds), DisableDiscoveryEnumeration = true)]
    public async Task KillsCutsAndStalls_FollowersConverge_AndNoAcknowledgedWriteIsLost(int seed)
    {
        var duration = CampaignSettings.Duration;
        using var journal = new CampaignJournal(seed, output);
        journal.Note($"campaign seed {seed}, {duration.TotalSeconds:0} s of faults (replay: MFLEET_CAMPAIGN_SEED={seed} MFLEET_CAMPAIGN_SECONDS={duration.TotalSeconds:0}); logs in {journal.Folder}");
        var findings = new List<string>();
        try
        {
            await using (var cluster = await CampaignCluster.StartAsync(seed, journal))
            {
                findings.AddRange(await RunAsync(cluster, seed, duration, journal));
            }
        }
        catch (Exception e)
        {
            findings.Add($"the campaign itself broke off: {e}");
        }
        if (findings.Count > 0)
        {
            journal.Keep();
            var message = $"fault campaign seed {seed} (replay: MFLEET_CAMPAIGN_SEED={seed} MFLEET_CAMPAIGN_SECONDS={duration.TotalSeconds:0}; logs kept in {journal.Folder}):\n- " + string.Join("\n- ", findings);
            journal.Note($"FAILED with {findings.Count} finding(s): {message}");
            Assert.Fail(message);
        }
    }

    private static async Task<IReadOnlyList<string>> RunAsync(CampaignCluster cluster, int seed, TimeSpan duration, CampaignJournal journal)
    {
        var writer = new CampaignWriter(cluster.Client(CampaignCluster.Primary), seed, journal);
        var killer = new CampaignKiller(cluster, seed + 3, journal);
        using var stopWriting = new CancellationTokenSource();
        using var stopKilling = new CancellationTokenSource();
        var writing = writer.RunAsync(stopWriting.Token);
        // The followers join a primary that already holds files: they provision from its manifest under fire.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await cluster.StartAsync("b");
        await cluster.StartAsync("c");
        var killing = killer.RunAsync(stopKilling.Token);
        await Task.Delay(duration);

        await stopKilling.CancelAsync();
        await killing;
        foreach (var proxy in cluster.Proxies.Values)
        {
            proxy.Calm();
        }
        foreach (var role in CampaignCluster.Roles)
        {
            await cluster.StartAsync(role);
        }
        await stopWriting.CancelAsync();
        await writing;
        journal.Note($"faults stopped: {killer.Kills} kills; writer: {writer.Puts} puts, {writer.Deletes} deletes, {writer.Moves} moves acknowledged, {writer.Unanswered} unanswered; "
            + string.Join("; ", cluster.Proxies.Select(p => $"proxy into {p.Key}: {p.Value.Counts}")));

        var findings = cluster.FailedStarts.Select(f => $"restart: {f.Key} does not start again: {Tail(f.Value)}").ToList();
        if (findings.Count == 0)
        {
            var checks = new CampaignChecks(cluster, writer, journal);
            await checks.RunAsync(ConvergeWithin(duration));
            findings.AddRange(checks.Findings);
        }
        return findings;
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(12));
}
