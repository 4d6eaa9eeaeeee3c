using System.Text;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>
/// The coordinator keeping a real nginx's file for real nodes (DESIGN.md section 6, issue 5's acceptance): states
/// reach the file, the file reaches nginx, nginx sends traffic only where the states say.
/// </summary>
[Collection(NginxCollection.Name)]
public sealed class NginxBalancingTests
{
    private const string File1 = "m.txt";

    [Fact]
    public async Task Nginx_SendsTrafficOnlyToUpServers_AsNodesAreDrainedAndForcedDown_KeepingOtherParameters()
    {
        await using var cluster = await BalancedCluster.StartAsync(["a", "b", "c"], BalancedCluster.DefaultFile);
        await PutAndReplicateAsync(cluster);
        await cluster.SettledAsync("up", "a", "b", "c");
        Assert.Equal(["a", "b", "c"], (await cluster.UpstreamsAsync("/files/" + File1, 12)).Distinct().Order());

        await cluster.Nodes["b"].Client.SetFlagsAsync(forceDown: null, forceBackup: true, CancellationToken.None);
        await cluster.LineBecomesAsync("b", $"server {cluster.Address("b")} max_fails=3 fail_timeout=5s backup;", reloads: 1);
        Assert.Equal("backup", (await cluster.NodeAsync("b"))!.State);
        Assert.DoesNotContain("b", await cluster.UpstreamsAsync("/files/" + File1, 12));

        await cluster.Nodes["c"].Client.SetFlagsAsync(forceDown: true, forceBackup: null, CancellationToken.None);
        await cluster.LineBecomesAsync("c", $"server {cluster.Address("c")} down;", reloads: 2);
        Assert.Equal(["a"], (await cluster.UpstreamsAsync("/files/" + File1, 12)).Distinct());
        Assert.Equal($"server {cluster.Address("a")} weight=2;", cluster.LineOf("a"));

        // Undrained, b comes back only after RecoverAfter good heartbeats, and then gets traffic again.
        await cluster.Nodes["b"].Client.SetFlagsAsync(forceDown: null, forceBackup: false, CancellationToken.None);
        await cluster.LineBecomesAsync("b", $"server {cluster.Address("b")} max_fails=3 fail_timeout=5s;", reloads: 3);
        Assert.Contains("b", await cluster.UpstreamsAsync("/files/" + File1, 12));
    }

    [Fact]
    public async Task Nginx_IsNotReloaded_WhileNothingChanges()
    {
        await using var cluster = await BalancedCluster.StartAsync(["a", "b", "c"], BalancedCluster.DefaultFile);
        await cluster.SettledAsync("up", "a", "b", "c");
        var before = await File.ReadAllBytesAsync(cluster.Nginx.UpstreamPath);
        var written = File.GetLastWriteTimeUtc(cluster.Nginx.UpstreamPath);

        // Proving that nothing happens takes time: a dozen heartbeats of every node, four times DownAfter.
        await Task.Delay(4 * BalancedCluster.DownAfter);

        Assert.Equal(before, await File.ReadAllBytesAsync(cluster.Nginx.UpstreamPath));
        Assert.Equal(written, File.GetLastWriteTimeUtc(cluster.Nginx.UpstreamPath));
        Assert.Equal(cluster.ReloadBaseline, cluster.Nginx.ReloadCount);
    }

    [Fact]
    public async Task Nginx_MarksASilentNodeDown_AfterDownAfter()
    {
        // The primary runs as its own process, so it can die without a last heartbeat.
        await using var cluster = await BalancedCluster.CreateAsync(["a", "b", "c"], BalancedCluster.DefaultFile);
        using var library = new TempFolder("mfleet-silent-");
        var config = library.Combine("node.json");
        await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new { Node = new { HeartbeatInterval = BalancedCluster.Interval, Coordinator = cluster.CoordinatorUrl, Id = "a" } }));
        await using var primary = await NodeProcess.StartAsync(library.Combine("lib"), ["--primary", "--config", config], listen: $"http://{cluster.Address("a")}");
        await cluster.StartNodeAsync("b");
        await cluster.StartNodeAsync("c");
        await cluster.StartCoordinatorAsync();
        await PutAndReplicateAsync(cluster, new Contracts.Client.NodeClient(Contracts.Client.NodeClient.CreateHttp(new Uri(primary.Url), TestNode.Token)));
        await cluster.SettledAsync("up", "a", "b", "c");

        await primary.KillAsync();

        await cluster.LineBecomesAsync("a", $"server {cluster.Address("a")} weight=2 down;", reloads: 1);
        Assert.Equal(("down", "silent"), ((await cluster.NodeAsync("a"))!.State, (await cluster.NodeAsync("a"))!.Reason));
        Assert.DoesNotContain("a", await cluster.UpstreamsAsync("/files/" + File1, 12));
    }

    [Fact]
    public async Task Node_StoppedWithSigterm_LeavesTheBalancerWithALastHeartbeat()
    {
        await using var cluster = await BalancedCluster.StartAsync(["a", "b", "c"], BalancedCluster.DefaultFile);
        await PutAndReplicateAsync(cluster);
        await cluster.SettledAsync("up", "a", "b", "c");

        await cluster.StopNodeAsync("c");

        // "forced down", not "silent": the node said goodbye before it went.
        var c = await cluster.NodeAsync("c");
        Assert.Equal(("down", "forced down"), (c!.State, c.Reason));
        await cluster.LineBecomesAsync("c", $"server {cluster.Address("c")} down;", reloads: 1);
    }

    [Fact]
    public async Task Nginx_MarksAStaleFollowerBackup()
    {
        // c follows an upstream that does not exist, so it stays at version 0 while the primary moves on.
        var dead = $"http://127.0.0.1:{NodeProcess.FreePort()}";
        await using var cluster = await BalancedCluster.CreateAsync(["a", "b", "c"], BalancedCluster.DefaultFile);
        await cluster.StartNodeAsync("a");
        await cluster.StartNodeAsync("b");
        await cluster.StartNodeAsync("c", new Dictionary<string, string?> { ["Node:Upstream"] = dead });
        await cluster.StartCoordinatorAsync();
        await cluster.SettledAsync("up", "a", "b", "c");

        await PutAndReplicateAsync(cluster, followers: ["b"]);

        await cluster.LineBecomesAsync("c", $"server {cluster.Address("c")} backup;", reloads: 1);
        var c = await cluster.NodeAsync("c");
        Assert.Equal("backup", c!.State);
        Assert.StartsWith("stale", c.Reason, StringComparison.Ordinal);
        // b follows the primary and keeps up (a slow moment may make it stale for a few heartbeats, never for good).
        await Eventually.TrueAsync(() => cluster.LineOf("b") == $"server {cluster.Address("b")} max_fails=3 fail_timeout=5s;", "b to be up", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("c", await cluster.UpstreamsAsync("/files/" + File1, 12));
    }

    [Fact]
    public async Task CoordinatorRestart_LeavesTheFileUntouchedForDownAfter()
    {
        await using var cluster = await BalancedCluster.StartAsync(["a", "b", "c"], BalancedCluster.DefaultFile);
        await cluster.SettledAsync("up", "a", "b", "c");
        await cluster.Nodes["c"].Client.SetFlagsAsync(forceDown: true, forceBackup: null, CancellationToken.None);
        await cluster.LineBecomesAsync("c", $"server {cluster.Address("c")} down;", reloads: 1);
        var before = await File.ReadAllBytesAsync(cluster.Nginx.UpstreamPath);

        await cluster.StopCoordinatorAsync();
        var restarted = System.Diagnostics.Stopwatch.StartNew();
        // A longer DownAfter for the new coordinator: a window wide enough to watch it hold still.
        await cluster.StartCoordinatorAsync(new() { ["Coordinator:DownAfter"] = "3" });

        // Without the grace, the new coordinator would have heard of no node and written every line down at once.
        while (restarted.Elapsed < TimeSpan.FromSeconds(3) + TimeSpan.FromSeconds(2 * BalancedCluster.Interval))
        {
            Assert.Equal(before, await File.ReadAllBytesAsync(cluster.Nginx.UpstreamPath));
            await Task.Delay(50);
        }
        Assert.Equal(cluster.ReloadBaseline + 1, cluster.Nginx.ReloadCount);

        // After the grace it is in charge: a change still reaches nginx.
        await cluster.Nodes["b"].Client.SetFlagsAsync(forceDown: null, forceBackup: true, CancellationToken.None);
        await cluster.LineBecomesAsync("b", $"server {cluster.Address("b")} max_fails=3 fail_timeout=5s backup;", reloads: 2);
    }

    [Fact]
    public async Task FileFailingNginxTest_IsNeverInstalled_AndThePreviousOneKeepsServing()
    {
        await using var cluster = await BalancedCluster.StartAsync(["a", "b", "c"], BalancedCluster.DefaultFile);
        await PutAndReplicateAsync(cluster);
        await cluster.SettledAsync("up", "a", "b", "c");
        var before = await File.ReadAllBytesAsync(cluster.Nginx.UpstreamPath);

        cluster.Nginx.BreakMainConfig();
        await cluster.Nodes["b"].Client.SetFlagsAsync(forceDown: true, forceBackup: null, CancellationToken.None);

        await Eventually.TrueAsync(async () => (await cluster.Coordinator.Client.GetStateAsync(CancellationToken.None)).Nginx!.LastError is not null,
            "the failed test to be reported", TimeSpan.FromSeconds(30));
        var state = await cluster.Coordinator.Client.GetStateAsync(CancellationToken.None);
        Assert.Contains("mfleet_broken_on_purpose", state.Nginx!.LastError, StringComparison.Ordinal);
        Assert.Equal(Encoding.Latin1.GetString(before), Encoding.Latin1.GetString(await File.ReadAllBytesAsync(cluster.Nginx.UpstreamPath)));
        Assert.Equal(cluster.ReloadBaseline, cluster.Nginx.ReloadCount);
        Assert.Contains("b", await cluster.UpstreamsAsync("/files/" + File1, 12)); // nginx still runs the previous file

        // Repaired, the next change is installed with the one that failed.
        cluster.Nginx.RepairMainConfig();
        await cluster.Nodes["c"].Client.SetFlagsAsync(forceDown: true, forceBackup: null, CancellationToken.None);
        await cluster.LineBecomesAsync("c", $"server {cluster.Address("c")} down;", reloads: 1);
        Assert.Equal($"server {cluster.Address("b")} max_fails=3 fail_timeout=5s down;", cluster.LineOf("b"));
        Assert.Null((await cluster.Coordinator.Client.GetStateAsync(CancellationToken.None)).Nginx!.LastError);
        Assert.Equal(["a"], (await cluster.UpstreamsAsync("/files/" + File1, 12)).Distinct());
    }

    private static Task PutAndReplicateAsync(BalancedCluster cluster, string[]? followers = null) =>
        PutAndReplicateAsync(cluster, cluster.Nodes["a"].Client, followers);

    private static async Task PutAndReplicateAsync(BalancedCluster cluster, Contracts.Client.NodeClient primary, string[]? followers = null)
    {
        await using var body = new MemoryStream("served through nginx\n"u8.ToArray());
        await primary.PutFileAsync(File1, body, body.Length, null, CancellationToken.None);
        foreach (var id in followers ?? cluster.Nodes.Keys.Where(k => k != "a").ToArray())
        {
            await Replicas.ConvergedAsync(primary, cluster.Nodes[id].Client, TimeSpan.FromSeconds(30));
        }
    }
}

/// <summary>
/// Tests that run nginx, a coordinator and three nodes each: one at a time, so their heartbeats are not delayed by
/// each other on a small machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NginxCollection
{
    public const string Name = "nginx balancing";
}
