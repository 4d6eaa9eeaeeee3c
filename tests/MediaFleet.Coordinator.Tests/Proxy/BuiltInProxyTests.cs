using System.Net;
using MediaFleet.Contracts.Problems;

namespace MediaFleet.Coordinator.Tests.Proxy;

/// <summary>
/// The built-in balancer (DESIGN.md section 6, without nginx) in front of three real nodes: round robin over the up
/// servers, backups only when none is up, 503 when none is left, and the next server when one cannot be reached.
/// </summary>
public sealed class BuiltInProxyTests
{
    private static async Task<Dictionary<string, int>> ServedByAsync(ProxiedCluster cluster, int requests)
    {
        var served = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < requests; i++)
        {
            var (status, node, body) = await cluster.ThroughProxyAsync();
            Assert.Equal(200, status);
            Assert.Equal(cluster.Content, body);
            Assert.NotNull(node);
            served[node] = served.GetValueOrDefault(node) + 1;
        }
        return served;
    }

    [Fact]
    public async Task Get_ThreeUpServers_GoesRoundRobin()
    {
        await using var cluster = await ProxiedCluster.StartAsync();

        var served = await ServedByAsync(cluster, 6);

        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 2, ["c"] = 2 }, served);
    }

    [Fact]
    public async Task Get_NoneUp_GoesToTheBackupsOnly()
    {
        await using var cluster = await ProxiedCluster.StartAsync();
        await cluster["a"].Client.SetFlagsAsync(forceDown: null, forceBackup: true, CancellationToken.None);
        await cluster["b"].Client.SetFlagsAsync(forceDown: null, forceBackup: true, CancellationToken.None);
        await cluster["c"].Client.SetFlagsAsync(forceDown: true, forceBackup: null, CancellationToken.None);
        await cluster.StatesAreAsync(("a", "backup"), ("b", "backup"), ("c", "down"));

        var served = await ServedByAsync(cluster, 6);

        Assert.Equal(new Dictionary<string, int> { ["a"] = 3, ["b"] = 3 }, served);
    }

    [Fact]
    public async Task Get_AllDown_Is503NoServer()
    {
        await using var cluster = await ProxiedCluster.StartAsync();
        foreach (var id in new[] { "a", "b", "c" })
        {
            await cluster[id].Client.SetFlagsAsync(forceDown: true, forceBackup: null, CancellationToken.None);
        }
        await cluster.StatesAreAsync(("a", "down"), ("b", "down"), ("c", "down"));

        using var response = await cluster.Http.GetAsync("files/" + ProxiedCluster.FilePath);

        await ProblemAssert.IsAsync(response, HttpStatusCode.ServiceUnavailable, ProblemTypes.NoServer);
    }

    [Fact]
    public async Task GetAndHead_UpServerWhoseProcessIsGone_AreServedByAnother()
    {
        await using var cluster = await ProxiedCluster.StartAsync(relayHeartbeatsOfB: true);
        await cluster.CutHeartbeatsOfBAsync();
        await cluster.StopAsync("b");

        var served = await ServedByAsync(cluster, 6);
        var heads = new List<(int, string?)>();
        for (var i = 0; i < 3; i++)
        {
            var (status, node, _) = await cluster.ThroughProxyAsync(HttpMethod.Head);
            heads.Add((status, node));
        }
        var b = await cluster.NodeAsync("b");

        Assert.Equal(["a", "c"], served.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(6, served.Values.Sum());
        Assert.All(heads, h => Assert.True(h is (200, "a" or "c"), $"HEAD answered {h}"));
        // Still up for the coordinator after all the requests: b was among the targets every time.
        Assert.True(b.State == "up", $"{b.State}: {b.Reason} load {b.Load} version {b.Version}");
    }
}
