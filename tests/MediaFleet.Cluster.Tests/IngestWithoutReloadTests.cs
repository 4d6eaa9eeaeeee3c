using System.Globalization;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>
/// An ingest that the followers apply within <c>DownAfter</c> changes no state and costs no reload (DESIGN.md section 6,
/// rule 6): a real primary and follower, a real coordinator keeping an nginx file whose test and reload commands only
/// count their runs.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class IngestWithoutReloadTests
{
    private const double DownAfter = 4;

    [Fact]
    public async Task Ingest_FollowerHeartbeatsBeforeThePrimary_NoStateChangeAndNoNginxWrite()
    {
        using var folder = new TempFolder("mfleet-ingest-reload-");
        var (primaryPort, followerPort) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        var nginx = folder.Combine("upstreams.conf");
        // Real nodes report the machine's real load; this test is about versions, not load.
        var text = $"# backup_threshold=1000 down_threshold=2000\nupstream media {{\n    server 127.0.0.1:{primaryPort} weight=2;\n    server 127.0.0.1:{followerPort};\n}}\n";
        await File.WriteAllTextAsync(nginx, text);
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?>
        {
            ["Coordinator:NginxConf"] = nginx,
            ["Coordinator:NginxTest"] = $"sh -c 'echo t >> {folder.Combine("tests")}'",
            ["Coordinator:NginxReload"] = $"sh -c 'echo r >> {folder.Combine("reloads")}'",
            ["Coordinator:HeartbeatInterval"] = "0.5",
            ["Coordinator:BackupThreshold"] = "1000",
            ["Coordinator:DownThreshold"] = "2000",
            ["Coordinator:DownAfter"] = DownAfter.ToString(CultureInfo.InvariantCulture),
        });
        // The primary heartbeats rarely and the follower often, so the follower reports the new version first.
        await using var primary = await TestNode.StartAsync(settings: Node(coordinator, "p", primaryPort, interval: 1.5));
        var followerSettings = Node(coordinator, "f", followerPort, interval: 0.1);
        await using var follower = await TestNode.StartFollowerAsync(primary.Url, settings: followerSettings);
        await Eventually.TrueAsync(async () =>
            (await coordinator.Client.GetStateAsync(CancellationToken.None)).GraceOver
            && await StatesAsync(coordinator) is [("f", "up", 0, _), ("p", "up", 0, _)],
            "both nodes up after the grace", TimeSpan.FromSeconds(30));

        // Ingest just after a heartbeat of the primary: its next one comes 1.5 s later, the follower's within 0.1 s.
        var lastSeen = (await StatesAsync(coordinator))[1].LastSeen;
        await Eventually.TrueAsync(async () => (await StatesAsync(coordinator))[1].LastSeen != lastSeen, "a heartbeat of the primary");
        await using (var body = new MemoryStream(new byte[1000]))
        {
            await primary.Client.PutFileAsync("films/a.mkv", body, body.Length, null, CancellationToken.None);
        }
        // Proving that nothing changes takes time: twice DownAfter, watching every state on the way.
        var polls = new List<List<(string Id, string State, long Version, DateTimeOffset LastSeen)>>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(2 * DownAfter))
        {
            polls.Add(await StatesAsync(coordinator));
            await Task.Delay(20);
        }

        Assert.Contains(polls, p => p is [("f", _, 1, _), ("p", _, 0, _)]); // the follower reported the ingest first
        Assert.Equal([("f", 1L), ("p", 1L)], polls[^1].Select(s => (s.Id, s.Version)));
        Assert.All(polls.SelectMany(p => p), s => Assert.Equal("up", s.State));
        var state = await coordinator.Client.GetStateAsync(CancellationToken.None);
        Assert.Equal((0L, 0L), (state.Nginx!.Writes, state.Nginx.Reloads));
        Assert.Equal(text, await File.ReadAllTextAsync(nginx));
        Assert.False(File.Exists(folder.Combine("tests")), "the nginx test command ran");
        Assert.False(File.Exists(folder.Combine("reloads")), "the nginx reload command ran");
    }

    private static Dictionary<string, string?> Node(TestCoordinator coordinator, string id, int port, double interval)
    {
        var settings = coordinator.NodeSettings(id);
        settings["Node:Listen"] = $"http://127.0.0.1:{port}";
        settings["Node:HeartbeatInterval"] = interval.ToString(CultureInfo.InvariantCulture);
        return settings;
    }

    /// <summary>The follower's and the primary's published states, in that order (by id).</summary>
    private static async Task<List<(string Id, string State, long Version, DateTimeOffset LastSeen)>> StatesAsync(TestCoordinator coordinator) =>
        [.. (await coordinator.Client.GetNodesAsync(CancellationToken.None)).OrderBy(n => n.Id, StringComparer.Ordinal).Select(n => (n.Id, n.State, n.Version, n.LastSeen))];
}
