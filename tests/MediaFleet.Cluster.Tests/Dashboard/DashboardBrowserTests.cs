using System.Globalization;
using System.Text.Json;
using MediaFleet.Contracts.Client;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests.Dashboard;

/// <summary>
/// The coordinator's dashboard and the broker's page in a real browser (issue 13, items 4 and 5): Debian's chromium,
/// driven through chromium-driver, looking at real nodes, a real coordinator keeping a real nginx, and a real broker.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardBrowserTests
{
    /// <summary>"Within a few seconds": the page polls every 2 s; the rest is the cluster's own timing and a busy machine.</summary>
    private static readonly TimeSpan FewSeconds = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Dashboard_FollowsTheCluster_InPlace_FromNoScoreToADrainedAndAKilledNode()
    {
        using var folder = new TempFolder("mfleet-browser-");
        await using var cluster = await BalancedCluster.CreateAsync(["a", "b", "c"], BalancedCluster.DefaultFile);
        // The coordinator first, so the page opens on a cluster not scored yet.
        await cluster.StartCoordinatorAsync();
        await using var browser = HeadlessChromium.Start(folder);
        browser.WebDriver.Navigate().GoToUrl(cluster.CoordinatorUrl + "/");
        await UntilAsync(() => browser.TextOf("#updated")?.StartsWith("last updated", StringComparison.Ordinal) == true, "the first poll", FewSeconds);
        Assert.Equal("unknown", browser.TextOf("#collection-score"));
        browser.Run("window.__mark = 1;");

        await cluster.StartNodeAsync("a");
        await cluster.StartNodeAsync("b");
        await using var c = await StartNodeProcessAsync(cluster, "c", folder);
        await cluster.SettledAsync("up", "a", "b", "c");
        await UntilAsync(() => new[] { "a", "b", "c" }.All(id => StateOf(browser, id) == "up"), "a, b and c up on the page", FewSeconds);
        await UntilAsync(() => double.TryParse(browser.TextOf("#collection-score"), CultureInfo.InvariantCulture, out _), "a score on the page", FewSeconds);
        var score = await cluster.Coordinator.Client.GetScoreAsync(CancellationToken.None);
        Assert.Equal(score.Collection!.Value.ToString(CultureInfo.InvariantCulture), browser.TextOf("#collection-score"));

        await cluster.Nodes["b"].Client.SetFlagsAsync(forceDown: null, forceBackup: true, CancellationToken.None);
        await UntilAsync(() => StateOf(browser, "b") == "backup", "b's row to turn backup", FewSeconds);
        Assert.Equal(1L, browser.Run("return window.__mark;"));
        Assert.Equal("state backup", browser.Run("return document.querySelector('#nodes tr[data-key=\"b\"] td[data-label=\"state\"]').className;"));

        await c.KillAsync();
        await UntilAsync(() => StateOf(browser, "c") == "down", "c's row to turn down", FewSeconds + BalancedCluster.DownAfter);
        Assert.Equal(1L, browser.Run("return window.__mark;"));
        Assert.Equal("silent", browser.TextOf("#nodes tr[data-key=\"c\"] td[data-label=\"reason\"]"));
        await UntilAsync(() => browser.TextOf("#events")?.Contains("up → down: silent", StringComparison.Ordinal) == true, "c's change among the events", FewSeconds);
        Assert.Contains("up → backup: forced backup", browser.TextOf("#events"), StringComparison.Ordinal);
        Assert.Contains("file rewritten", browser.TextOf("#events"), StringComparison.Ordinal);

        var screenshot = folder.Combine("dashboard.png");
        browser.Screenshot(screenshot);
        AssertPng(screenshot);
        Assert.Empty(browser.SevereConsoleEntries());
        Assert.True((bool)browser.Run("return document.getElementById('offline').hidden;")!);
    }

    [Fact]
    public async Task Dashboard_OnAPhone_StacksItsTablesWithinTheScreen_AndShowsTheQueueAndWhatNodesSentAsText()
    {
        using var folder = new TempFolder("mfleet-browser-phone-");
        await using var broker = await TestBroker.StartAsync();
        var tone = await Clips.ToneAsync(folder.Path);
        await using (var input = File.OpenRead(tone))
        {
            await broker.Client.SubmitAsync(input, input.Length, "opus", "a-long-name-of-a-recording-from-the-attic-2026-11-23.wav", null, "c1", null, null, CancellationToken.None);
        }
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Coordinator:Broker"] = broker.Url });
        const string site = "<img src=x onerror=\"window.__xss=1\">";
        await using var node = await TestNode.StartAsync(settings: new Dictionary<string, string?>(coordinator.NodeSettings("p")) { ["Node:Site"] = site });
        await using var browser = HeadlessChromium.Start(folder);
        browser.EmulatePhone(390, 844);

        browser.WebDriver.Navigate().GoToUrl(coordinator.Url + "/");

        await UntilAsync(() => StateOf(browser, "p") is not null && browser.TextOf("#queue-counts")?.Contains("queued", StringComparison.Ordinal) == true,
            "the node and the queue on the page", FewSeconds);
        Assert.Equal(390L, browser.Run("return window.innerWidth;"));
        Assert.True((bool)browser.Run("return document.documentElement.scrollWidth <= window.innerWidth;")!,
            $"the page is {browser.Run("return document.documentElement.scrollWidth;")} px wide on a 390 px screen");
        Assert.Equal("none", browser.Run("return getComputedStyle(document.querySelector('#nodes thead')).display;"));
        Assert.Equal(site, browser.TextOf("#nodes tr[data-key=\"p\"] td[data-label=\"site\"]"));
        Assert.Equal(0L, browser.Run("return document.querySelectorAll('main img').length;"));
        Assert.Null(browser.Run("return window.__xss === undefined ? null : window.__xss;"));
        Assert.False((bool)browser.Run("return document.getElementById('queue').hidden;")!);
        Assert.Contains("a-long-name-of-a-recording", browser.TextOf("#queue-latest"), StringComparison.Ordinal);

        var screenshot = folder.Combine("dashboard-phone.png");
        browser.Screenshot(screenshot);
        AssertPng(screenshot);
        Assert.Empty(browser.SevereConsoleEntries());
    }

    [Fact]
    public async Task Dashboard_WhenTheCoordinatorStops_SaysItCannotReachIt_AndKeepsWhatItShowed()
    {
        using var folder = new TempFolder("mfleet-browser-offline-");
        await using var browser = HeadlessChromium.Start(folder);
        await using (var coordinator = await TestCoordinator.StartAsync())
        {
            await coordinator.Client.SendHeartbeatAsync(new("p", "127.0.0.1:9", "http://127.0.0.1:9", 0.1, 1, true, false, false), CancellationToken.None);
            browser.WebDriver.Navigate().GoToUrl(coordinator.Url + "/");
            await UntilAsync(() => StateOf(browser, "p") is not null, "the node on the page", FewSeconds);
            browser.Run("window.__mark = 1;");
        }

        await UntilAsync(() => browser.Run("return document.getElementById('offline').hidden;") is false, "the offline line", FewSeconds);
        Assert.StartsWith("Cannot reach the coordinator: ", browser.TextOf("#offline"), StringComparison.Ordinal);
        Assert.Contains("Showing what it said at", browser.TextOf("#offline"), StringComparison.Ordinal);
        Assert.NotNull(StateOf(browser, "p"));
        Assert.Equal(1L, browser.Run("return window.__mark;"));
        // The failed fetches themselves are what the console shows, and nothing else.
        Assert.All(browser.SevereConsoleEntries(), e => Assert.Contains("v1/dashboard", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task BrokerPage_ShowsTheQueueInTheSameLook_WithoutConsoleErrors()
    {
        using var folder = new TempFolder("mfleet-browser-broker-");
        await using var broker = await TestBroker.StartAsync();
        var tone = await Clips.ToneAsync(folder.Path);
        await using (var input = File.OpenRead(tone))
        {
            await broker.Client.SubmitAsync(input, input.Length, "opus", "tone.wav", null, "c1", null, null, CancellationToken.None);
        }
        await using var browser = HeadlessChromium.Start(folder);
        browser.EmulatePhone(390, 844);

        browser.WebDriver.Navigate().GoToUrl(broker.Url + "/");

        await UntilAsync(() => browser.TextOf("#latest")?.Contains("tone.wav", StringComparison.Ordinal) == true, "the job on the page", FewSeconds);
        Assert.Contains("1queued", browser.TextOf("#counts"), StringComparison.Ordinal);
        Assert.True((bool)browser.Run("return document.documentElement.scrollWidth <= window.innerWidth;")!);
        var screenshot = folder.Combine("broker.png");
        browser.Screenshot(screenshot);
        AssertPng(screenshot);
        Assert.Empty(browser.SevereConsoleEntries());
    }

    /// <summary>The state shown in a node's row, or null while the row is not there.</summary>
    private static string? StateOf(HeadlessChromium browser, string id) =>
        browser.TextOf($"#nodes tr[data-key=\"{id}\"] td[data-label=\"state\"]");

    private static async Task<NodeProcess> StartNodeProcessAsync(BalancedCluster cluster, string id, TempFolder folder)
    {
        // Its own process, so it can die without a last heartbeat.
        var config = folder.Combine(id + ".json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { Node = new { HeartbeatInterval = BalancedCluster.Interval, Coordinator = cluster.CoordinatorUrl, Id = id } }));
        return await NodeProcess.StartAsync(folder.Combine(id), ["--upstream", $"http://{cluster.Address("a")}", "--config", config], listen: $"http://{cluster.Address(id)}");
    }

    /// <summary>Asks the page every 100 ms (each question is a round trip to chromedriver) until it says yes.</summary>
    private static async Task UntilAsync(Func<bool> condition, string what, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"gave up after {deadline.TotalSeconds} s waiting for {what}");
            }
            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>Checks a screenshot is a PNG; MFLEET_TEST_SCREENSHOTS=DIR keeps a copy for a person to look at.</summary>
    private static void AssertPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} is {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], bytes[..8]);
        if (Environment.GetEnvironmentVariable("MFLEET_TEST_SCREENSHOTS") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            File.Copy(path, Path.Combine(keep, Path.GetFileName(path)), overwrite: true);
        }
    }
}

/// <summary>Browser tests: one at a time, and not beside other heavy tests, so a page's 2 s polls are not starved.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "browser";
}
