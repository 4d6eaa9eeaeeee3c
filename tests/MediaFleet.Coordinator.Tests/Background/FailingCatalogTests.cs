using MediaFleet.Contracts.Coordinator;
using MediaFleet.Coordinator.Tests.Nginx;
using MediaFleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MediaFleet.Coordinator.Tests.Background;

/// <summary>
/// Background work never dies quietly: nodes whose <c>/v1/catalog</c> answers garbage or resets the connection,
/// among healthy real nodes, leave the score covering the healthy ones, the scoring loop going, and one log line each.
/// </summary>
public sealed class FailingCatalogTests
{
    [Fact]
    public async Task Score_NodesWithBrokenCatalogs_StillCoversTheHealthyOnes_AndLogsEachFailureOnce()
    {
        var logs = new CapturedLogs();
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Score:RefreshSeconds"] = "0.2" }, logs);
        await using var primary = await TestNode.StartAsync(settings: coordinator.NodeSettings("p"));
        await using (var body = new MemoryStream(new byte[1000]))
        {
            await primary.Client.PutFileAsync("films/a.mkv", body, body.Length, null, CancellationToken.None);
        }
        await using var broken = await BrokenNodes.StartAsync();
        await using var pump = new HeartbeatPump(coordinator.Client, TimeSpan.FromMilliseconds(100));
        await pump.SetAsync(HeartbeatPump.Node("garbage", broken.Port) with { Url = broken.Url + "/garbage" });
        await pump.SetAsync(HeartbeatPump.Node("reset", broken.Port) with { Address = "127.0.0.1:1", Url = broken.Url + "/reset" });

        var first = await ScoreWhenAsync(coordinator, s => s.Files == 1 && s.Servers.Count == 3, null);
        var later = first;
        for (var i = 0; i < 3; i++)
        {
            later = await ScoreWhenAsync(coordinator, s => s.ComputedAt > later.ComputedAt, later);
        }

        Assert.Equal([("garbage", 0.0), ("p", 10.0), ("reset", 0.0)], later.Servers.Select(s => (s.Id, s.Score)));
        // The first pass that lists them may have gathered before their first heartbeat: the three after it asked them.
        Assert.True(broken.Requests("/garbage") >= 3 && broken.Requests("/reset") >= 3, "the broken nodes were asked on every pass");
        var failures = logs.WithId(3040).Select(e => e.Message).ToList();
        Assert.Single(failures, m => m.Contains("garbage", StringComparison.Ordinal));
        // A reset meets the gatherer before or after the answer's headers (two kinds of failure, in any order): each once.
        Assert.InRange(failures.Count(m => m.Contains("reset", StringComparison.Ordinal)), 1, 2);
        Assert.Equal(failures.Count, failures.Distinct().Count());
    }

    private static async Task<ScoreDto> ScoreWhenAsync(TestCoordinator coordinator, Func<ScoreDto, bool> condition, ScoreDto? last)
    {
        ScoreDto? score = last;
        await Eventually.TrueAsync(async () =>
        {
            score = await coordinator.Client.GetScoreAsync(CancellationToken.None);
            return score.ComputedAt is not null && condition(score);
        }, "the next scoring pass");
        return score!;
    }

    /// <summary>
    /// A web server in place of two nodes: <c>/garbage/v1/catalog</c> answers lines that are not catalog lines,
    /// <c>/reset/v1/catalog</c> starts an answer and resets the connection.
    /// </summary>
    private sealed class BrokenNodes : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

        private BrokenNodes(WebApplication app) => _app = app;

        public string Url => _app.Urls.First();

        public int Port => new Uri(Url).Port;

        public int Requests(string prefix) => _requests.GetValueOrDefault(prefix);

        public static async Task<BrokenNodes> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var nodes = new BrokenNodes(app);
            app.MapGet("/garbage/v1/catalog", async context =>
            {
                nodes._requests.AddOrUpdate("/garbage", 1, (_, n) => n + 1);
                context.Response.ContentType = "application/x-ndjson";
                await context.Response.WriteAsync("{\"path\":null,\"sha256\":null,\"size\":\"big\"}\n[1,2,3]\nnot json at all\n");
            });
            app.MapGet("/reset/v1/catalog", async context =>
            {
                nodes._requests.AddOrUpdate("/reset", 1, (_, n) => n + 1);
                context.Response.ContentType = "application/x-ndjson";
                await context.Response.WriteAsync("{\"path\":\"films/a.mkv\",\"sha2");
                await context.Response.Body.FlushAsync();
                context.Features.Get<IHttpResetFeature>()?.Reset(0);
                context.Abort();
            });
            await app.StartAsync();
            return nodes;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
