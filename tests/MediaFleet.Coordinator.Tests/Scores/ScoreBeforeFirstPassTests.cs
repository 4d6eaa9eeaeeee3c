using System.Text.Json;
using MediaFleet.Testing;

namespace MediaFleet.Coordinator.Tests.Scores;

/// <summary>
/// Before its first scoring pass the coordinator claims no score (DESIGN.md section 9): <c>collection</c> is null,
/// the label <c>unknown</c>, and no gauge is exported; the first pass runs as soon as the start-up grace is over.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class ScoreBeforeFirstPassTests
{
    [Fact]
    public async Task Score_BeforeTheFirstPass_IsNullAndUnknown_AndNoGaugeIsExported()
    {
        await using var coordinator = await TestCoordinator.StartAsync();

        using var score = JsonDocument.Parse(await coordinator.Http.GetStringAsync("v1/score"));
        var metrics = await coordinator.Http.GetStringAsync("metrics");

        Assert.Equal(JsonValueKind.Null, score.RootElement.GetProperty("collection").ValueKind);
        Assert.Equal("unknown", score.RootElement.GetProperty("label").GetString());
        Assert.Equal(0, score.RootElement.GetProperty("files").GetInt32());
        Assert.Equal(JsonValueKind.Null, score.RootElement.GetProperty("computed_at").ValueKind);
        Assert.DoesNotMatch(@"(?m)^mfleet_score_collection\S* \d", metrics);
    }

    [Fact]
    public async Task Score_FirstPass_RunsWhenTheGraceIsOver_NotAfterRefreshSeconds()
    {
        // RefreshSeconds stays at its default of 60: a first pass within the test's deadline can only be the one at the grace.
        await using var coordinator = await TestCoordinator.StartAsync();
        await using var primary = await TestNode.StartAsync(settings: coordinator.NodeSettings("p"));

        JsonDocument? score = null;
        await Eventually.TrueAsync(async () =>
        {
            score?.Dispose();
            score = JsonDocument.Parse(await coordinator.Http.GetStringAsync("v1/score"));
            return score.RootElement.GetProperty("computed_at").ValueKind != JsonValueKind.Null;
        }, "a first scoring pass");
        var metrics = await coordinator.Http.GetStringAsync("metrics");

        using (score)
        {
            // An empty library, scored: nothing is at risk.
            Assert.Equal(10, score!.RootElement.GetProperty("collection").GetDouble());
            Assert.Equal("very good", score.RootElement.GetProperty("label").GetString());
        }
        Assert.Matches(@"(?m)^mfleet_score_collection\S* 10(\s|$)", metrics);
    }
}

/// <summary>
/// Coordinators in one test process share their meters by name, so a gauge that must be absent is checked while no
/// other coordinator runs (a scored one beside it exported its score into this one's /metrics).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "coordinator alone";
}
