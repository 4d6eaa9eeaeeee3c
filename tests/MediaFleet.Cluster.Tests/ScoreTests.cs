using System.Net.Http.Json;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>The preservation score from real nodes' catalogs (DESIGN.md section 9, issue 6's acceptance).</summary>
[Collection(ProcessCollection.Name)]
public sealed class ScoreTests
{
    [Fact]
    public async Task NodeKilledPastServerTtl_DrivesItsCopiesToZero_AndTheCollectionScoreDown()
    {
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?>
        {
            ["Score:RefreshSeconds"] = "0.3",
            ["Score:ServerTtlSeconds"] = "2",
        });
        await using var primary = await TestNode.StartAsync(settings: Sited(coordinator.NodeSettings("p"), "home"));
        // The follower is a process of its own, so it can be killed without a last heartbeat.
        using var folder = new TempFolder("mfleet-score-");
        var config = folder.Combine("node.json");
        await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new
        {
            Node = new { Id = "f", Site = "cabin", Coordinator = coordinator.Url, HeartbeatInterval = TestCoordinator.Interval },
        }));
        await using var follower = await NodeProcess.StartAsync(folder.Combine("lib"), ["--upstream", primary.Url, "--config", config]);
        var followerClient = new Contracts.Client.NodeClient(Contracts.Client.NodeClient.CreateHttp(new Uri(follower.Url), TestNode.Token));
        await using (var body = new MemoryStream(new byte[10_000]))
        {
            await primary.Client.PutFileAsync("films/a.mkv", body, body.Length, null, CancellationToken.None);
        }
        await Replicas.ConvergedAsync(primary.Client, followerClient, TimeSpan.FromSeconds(30));

        // Two sites with a verified copy each: (10 + 10) / 2 = 10.
        var healthy = await ScoreWhenAsync(coordinator, s => s.Files == 1 && s.Collection == 10);
        Assert.Equal("very good", healthy.Label);
        Assert.Equal([("f", "cabin", 10.0), ("p", "home", 10.0)], healthy.Servers.Select(s => (s.Id, s.Site!, s.Score)));

        await follower.KillAsync(); // kill -9: from now on silent; after ServerTtl its copy counts 0

        // One site left: min(10, 10) / 2 = 5, "bad"; the silent server's own score is 0.
        var degraded = await ScoreWhenAsync(coordinator, s => s.Collection == 5);
        Assert.Equal("bad", degraded.Label);
        Assert.Equal(0, degraded.Servers.Single(s => s.Id == "f").Score);
        Assert.Equal([("films/a.mkv", 5.0)], degraded.Worst.Select(f => (f.Path, f.Score)));
        var repair = Assert.Single(degraded.Repair);
        Assert.Equal(["home"], repair.Sites);

        var files = await coordinator.Http.GetFromJsonAsync("v1/score/files?below=6", CoordinatorJson.Default.IReadOnlyListFileScoreDto);
        Assert.Equal(["films/a.mkv"], files!.Select(f => f.Path));
        var metrics = await coordinator.Http.GetStringAsync("metrics");
        Assert.Matches(@"mfleet_score_collection\S* 5(\s|$)", metrics);

        var low = await Cli.CliApp.RunAsync(["score", "--min", "6", "--coordinator", coordinator.Url, "--token", TestNode.Token], TextWriter.Null, TextWriter.Null);
        var ok = await Cli.CliApp.RunAsync(["score", "--min", "5", "--coordinator", coordinator.Url, "--token", TestNode.Token], TextWriter.Null, TextWriter.Null);
        Assert.Equal((3, 0), (low, ok));

        // Gathering is incremental after the first listing: a deletion reaches the score as a "deleted" line.
        await primary.Client.DeleteFileAsync("films/a.mkv", CancellationToken.None);
        var empty = await ScoreWhenAsync(coordinator, s => s.Files == 0);
        Assert.Equal(10, empty.Collection);
    }

    private static Dictionary<string, string?> Sited(Dictionary<string, string?> settings, string site)
    {
        settings["Node:Site"] = site;
        return settings;
    }

    private static async Task<ScoreDto> ScoreWhenAsync(TestCoordinator coordinator, Func<ScoreDto, bool> condition)
    {
        ScoreDto? score = null;
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                score = await coordinator.Client.GetScoreAsync(CancellationToken.None);
                return score.ComputedAt is not null && condition(score);
            }, "the score to reach the expected value", TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last: {System.Text.Json.JsonSerializer.Serialize(score!, CoordinatorJson.Default.ScoreDto)}", e);
        }
        return score!;
    }
}
