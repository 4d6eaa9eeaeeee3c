using System.Net;
using System.Net.Http.Json;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Contracts.Problems;
using MediaFleet.Coordinator.Dashboard;
using MediaFleet.Coordinator.Scores;
using MediaFleet.Coordinator.States;
using MediaFleet.Coordinator.Tests.Nginx;
using MediaFleet.Coordinator.Tests.States;
using MediaFleet.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MediaFleet.Coordinator.Tests.Dashboard;

/// <summary>
/// <c>GET /</c> and <c>GET /v1/dashboard</c>: a self-contained page that draws itself from one JSON document. What the
/// page looks like in a browser is tested in MediaFleet.Cluster.Tests (DashboardBrowserTests).
/// </summary>
public sealed class DashboardPageTests
{
    [Fact]
    public async Task GetRoot_IsOneSelfContainedPage_ThatPollsTheJsonRoute_WithoutAMetaRefresh()
    {
        await using var coordinator = await TestCoordinator.StartAsync();

        using var response = await coordinator.Http.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("mf.poll('v1/dashboard'", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http-equiv", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" src=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("stylesheet", html, StringComparison.Ordinal);
        Assert.DoesNotContain("innerHTML", html, StringComparison.Ordinal);
        Assert.StartsWith("default-src 'none'; script-src 'sha256-", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDashboard_ShowsEachServerWithLagMissingAndFreeSpace_AndTheEventsOfItsArrival()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        await using var pump = new HeartbeatPump(coordinator.Client, TimeSpan.FromMilliseconds(50));
        await pump.SetAsync(HeartbeatPump.Node("p", 31) with { Primary = true, Version = 12, Site = "home", FreeBytes = 5_000 });
        await pump.SetAsync(HeartbeatPump.Node("f", 32) with { Version = 9, Missing = 3, FreeBytes = 7_000 });

        var dashboard = await Eventually.ValueAsync(() => DashboardAsync(coordinator), d => d.Events.Count(e => e.Kind == "state" && e.Text.StartsWith("first heard", StringComparison.Ordinal)) == 2 && d.Events.Any(e => e.Kind == "primary"),
            "both arrivals and the primary among the events");

        Assert.Equal(["f", "p"], dashboard.Nodes.Select(n => n.Id));
        var (f, p) = (dashboard.Nodes[0], dashboard.Nodes[1]);
        Assert.Equal((3L, 3L, 7_000L, (string?)null), (f.Lag!.Value, f.Missing, f.FreeBytes, f.Site));
        Assert.Equal((0L, true, "home"), (p.Lag!.Value, p.Primary, p.Site));
        Assert.Equal(("p", 12L), (dashboard.Coordinator.Primary, dashboard.Coordinator.PrimaryVersion!.Value));
        Assert.InRange(f.SeenSecondsAgo, 0, 30);
        Assert.Contains(dashboard.Events, e => e is { Kind: "state", Server: "f" } && e.Text.StartsWith("first heard at 127.0.0.1:32: ", StringComparison.Ordinal));
        Assert.Contains(dashboard.Events, e => e is { Kind: "primary", Server: "p", Text: "p is the primary" });
        Assert.Null(dashboard.Nginx);
        Assert.Null(dashboard.Broker);
    }

    [Fact]
    public async Task GetDashboard_ADrainedServer_IsAnEventFromUpToBackup()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        await using var pump = new HeartbeatPump(coordinator.Client, TimeSpan.FromMilliseconds(50));
        await pump.SetAsync(HeartbeatPump.Node("b", 31));
        // The state changes are recorded as the coordinator's watch sees them: it must have seen b up first (heard
        // after the start-up grace on a slow machine, b starts down and earns its way up).
        await Eventually.ValueAsync(() => DashboardAsync(coordinator), d => d.Events.FirstOrDefault(e => e is { Kind: "state", Server: "b" }) is { } last
            && (last.Text.EndsWith("→ up: ok", StringComparison.Ordinal) || last.Text.EndsWith(": up (ok)", StringComparison.Ordinal)),
            "b up among the events");

        await pump.SetAsync(HeartbeatPump.Node("b", 31) with { ForceBackup = true });

        var dashboard = await Eventually.ValueAsync(() => DashboardAsync(coordinator), d => d.Events.Any(e => e.Text.StartsWith("up → backup", StringComparison.Ordinal)),
            "the change among the events");
        Assert.Equal("backup", Assert.Single(dashboard.Nodes).State);
        Assert.Equal(("state", "b", "up → backup: forced backup"), (dashboard.Events[0].Kind, dashboard.Events[0].Server, dashboard.Events[0].Text));
    }

    [Fact]
    public async Task GetDashboard_NginxWritesAndTestFailures_AreEventsAndTheNginxState()
    {
        const string before = "server 127.0.0.1:31 down;\n";
        await using var kept = await KeptNginxFile.StartAsync(before, test: KeptNginxFile.CountingTest);
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 31));
        var failed = await Eventually.ValueAsync(() => DashboardAsync(kept.Coordinator), d => d.Events.Any(e => e.Kind == "nginx"), "the failed test among the events");
        Assert.StartsWith("test failed, the file was NOT installed", failed.Events.First(e => e.Kind == "nginx").Text, StringComparison.Ordinal);
        Assert.NotNull(failed.Nginx!.LastError);

        File.Create(kept.OkFile).Dispose();
        await kept.Pump.SetAsync(HeartbeatPump.Node("b", 31) with { ForceBackup = true });

        var written = await Eventually.ValueAsync(() => DashboardAsync(kept.Coordinator), d => d.Events.Any(e => e.Text.StartsWith("file rewritten", StringComparison.Ordinal)),
            "the write among the events");
        Assert.Contains(written.Events, e => e is { Kind: "nginx", Text: "the test passes again" });
        Assert.Contains("'server 127.0.0.1:31 backup;'", written.Events.First(e => e.Text.StartsWith("file rewritten", StringComparison.Ordinal)).Text, StringComparison.Ordinal);
        Assert.Equal((1L, 1L, (string?)null), (written.Nginx!.Writes, written.Nginx.Reloads, written.Nginx.LastError));
    }

    [Fact]
    public async Task GetDashboard_BeforeTheFirstScoringPass_ClaimsNoScore()
    {
        await using var coordinator = await TestCoordinator.StartAsync();

        var score = (await DashboardAsync(coordinator)).Score;

        Assert.Equal(((double?)null, "unknown", (DateTimeOffset?)null, 0), (score.Collection, score.Label, score.ComputedAt, score.AtRiskCount));
        Assert.Empty(score.Sites);
    }

    [Fact]
    public async Task GetDashboard_AfterAPass_ShowsTheScoreOfEachSiteAndTheFilesAtRisk()
    {
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Score:RefreshSeconds"] = "3600" });
        await using var primary = await TestNode.StartAsync(settings: new Dictionary<string, string?>(coordinator.NodeSettings("p")) { ["Node:Site"] = "home" });
        using (var body = new MemoryStream("one copy"u8.ToArray()))
        {
            await primary.Client.PutFileAsync("a.txt", body, body.Length, null, CancellationToken.None);
        }
        await Eventually.TrueAsync(async () => (await coordinator.NodeAsync("p"))?.Version == 1, "the primary's heartbeat with the file");

        await coordinator.Services.GetRequiredService<ScoreKeeper>().RefreshAsync(CancellationToken.None);

        var score = (await DashboardAsync(coordinator)).Score;
        // One verified copy at one site of the two MinGeoDup asks for: M / 2.
        Assert.Equal((5.0, "bad", 1), (score.Collection!.Value, score.Label, score.Files));
        Assert.Equal([new SiteScoreDto("home", 10, "very good")], score.Sites);
        Assert.Equal([new ServerScoreDto("p", "home", 10, "very good")], score.Servers);
        Assert.Equal((10.0, 1), (score.AtRiskBelow, score.AtRiskCount));
        Assert.Equal([new FileScoreDto("a.txt", 5, "bad")], score.AtRisk);
    }

    [Fact]
    public async Task GetDashboard_WithABroker_ShowsItsQueueFetchedWithTheClusterToken()
    {
        using var folder = new TempFolder("mfleet-dash-broker-");
        await using var broker = await TestBroker.StartAsync(settings: new Dictionary<string, string?> { ["Auth:ProtectReads"] = "true" });
        var tone = await Clips.ToneAsync(folder.Path);
        await using (var input = File.OpenRead(tone))
        {
            await broker.Client.SubmitAsync(input, input.Length, "opus", "tone.wav", null, "c1", null, null, CancellationToken.None);
        }
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Coordinator:Broker"] = broker.Url });

        var queue = (await DashboardAsync(coordinator)).Broker;

        Assert.NotNull(queue);
        Assert.Equal((broker.Url, true, (string?)null), (queue.Url, queue.Reachable, queue.Error));
        Assert.Equal(1, queue.Queue!.Counts["queued"]);
        Assert.Equal(["queued", "running", "succeeded", "failed", "cancelled"], queue.Queue.Counts.Keys);
        Assert.Equal("tone.wav", Assert.Single(queue.Queue.Latest).Name);
        Assert.Empty(queue.Queue.Running);
    }

    [Fact]
    public async Task GetDashboard_WithABrokerThatDoesNotAnswer_SaysWhyAndShowsTheRest()
    {
        var nobody = $"http://127.0.0.1:{NodeProcess.FreePort()}";
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Coordinator:Broker"] = nobody });

        var dashboard = await DashboardAsync(coordinator);

        Assert.Equal((nobody, false), (dashboard.Broker!.Url, dashboard.Broker.Reachable));
        Assert.False(string.IsNullOrEmpty(dashboard.Broker.Error));
        Assert.Null(dashboard.Broker.Queue);
        Assert.Equal("unknown", dashboard.Score.Label);
    }

    [Fact]
    public async Task PageAndJson_WithProtectReads_NeedTheToken_AsNodesDoes()
    {
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Auth:ProtectReads"] = "true" });
        using var anonymous = new HttpClient { BaseAddress = new Uri(coordinator.Url + "/") };

        foreach (var route in (string[])["", "v1/dashboard", "v1/nodes"])
        {
            using var response = await anonymous.GetAsync(route);
            await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        }
        Assert.NotNull(await DashboardAsync(coordinator));
    }

    [Fact]
    public void Nodes_LagIsThePrimarysVersionMinusTheNodes_NeverBelowZero_TheOldDaemonsForSeedServers_UnknownWithoutAPrimary()
    {
        ServerView[] servers =
        [
            new(HeartbeatBuilder.Beat("p", version: 20, primary: true), ServerState.Up, "ok"),
            new(HeartbeatBuilder.Beat("behind", version: 15), ServerState.Backup, "stale"),
            new(HeartbeatBuilder.Beat("ahead", version: 21), ServerState.Up, "ok"),
            new(HeartbeatBuilder.Beat("old", version: 3) with { Seed = true }, ServerState.Up, "ok"),
        ];

        Assert.Equal([0L, 5L, 0L, 4L], DashboardSnapshot.Nodes(servers, 20, 7, HeartbeatBuilder.Now).Select(n => n.Lag!.Value));
        Assert.All(DashboardSnapshot.Nodes(servers, null, null, HeartbeatBuilder.Now), n => Assert.Null(n.Lag));
        Assert.Null(DashboardSnapshot.Nodes(servers, 20, null, HeartbeatBuilder.Now)[3].Lag);
        Assert.Equal([false, false, false, true], DashboardSnapshot.Nodes(servers, 20, 7, HeartbeatBuilder.Now).Select(n => n.Seed));
        Assert.Equal(["up", "backup", "up", "up"], DashboardSnapshot.Nodes(servers, 20, 7, HeartbeatBuilder.Now).Select(n => n.State));
        Assert.Equal(90, DashboardSnapshot.Nodes(servers, 20, 7, HeartbeatBuilder.Now + TimeSpan.FromSeconds(90))[0].SeenSecondsAgo);
    }

    private static async Task<DashboardDto> DashboardAsync(TestCoordinator coordinator) =>
        (await coordinator.Http.GetFromJsonAsync("v1/dashboard", DashboardJson.Default.DashboardDto))!;
}
