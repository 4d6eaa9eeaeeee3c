using System.Security.Authentication;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Contracts.Tls;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>A whole cluster on https with a certificate the test made (DESIGN.md section 4, issue 10 item 6).</summary>
[Collection(ProcessCollection.Name)]
public sealed class TlsClusterTests
{
    [Fact]
    public async Task ClusterOnHttps_ReplicatesBeatsScoresAndBalances_AndRefusesClientsThatDoNotTrustItsCa()
    {
        using var certificates = await TestCertificates.CreateAsync();
        var coordinatorSettings = certificates.Settings();
        coordinatorSettings["Coordinator:Listen"] = "https://127.0.0.1:0";
        coordinatorSettings["Coordinator:Proxy"] = "https://127.0.0.1:0";
        coordinatorSettings["Score:RefreshSeconds"] = "0.3";
        // A busy test machine's load must not take the nodes out of the balancer.
        coordinatorSettings["Coordinator:BackupThreshold"] = "1000";
        coordinatorSettings["Coordinator:DownThreshold"] = "2000";
        await using var coordinator = await TestCoordinator.StartAsync(coordinatorSettings);
        Assert.StartsWith("https://", coordinator.Url, StringComparison.Ordinal);
        Assert.StartsWith("https://", coordinator.ProxyUrl, StringComparison.Ordinal);

        await using var primary = await TestNode.StartAsync(settings: NodeSettings(coordinator, certificates, "p", "home"));
        await using var follower = await TestNode.StartFollowerAsync(primary.Url, settings: NodeSettings(coordinator, certificates, "f", "cabin"));
        Assert.StartsWith("https://", primary.Url, StringComparison.Ordinal);
        Assert.StartsWith("https://", follower.Url, StringComparison.Ordinal);

        var trusting = new ClusterHttp(TestNode.Token, ClientTls.From(new TlsOptions { CaFile = certificates.CaFile }));
        using var primaryHttp = trusting.Create(new Uri(primary.Url));
        using var followerHttp = trusting.Create(new Uri(follower.Url));
        using var coordinatorHttp = trusting.Create(new Uri(coordinator.Url));
        var (primaryClient, followerClient, coordinatorClient) = (new NodeClient(primaryHttp), new NodeClient(followerHttp), new CoordinatorClient(coordinatorHttp));

        var content = new byte[10_000];
        Random.Shared.NextBytes(content);
        await using (var body = new MemoryStream(content))
        {
            await primaryClient.PutFileAsync("films/a.mkv", body, body.Length, null, CancellationToken.None);
        }
        // Replication: the follower's upstream client speaks https to the primary.
        await Replicas.ConvergedAsync(primaryClient, followerClient, TimeSpan.FromSeconds(30));

        // Heartbeats over https, with the nodes' https URLs.
        IReadOnlyList<NodeStateDto> nodes = [];
        await Eventually.TrueAsync(async () =>
        {
            nodes = await coordinatorClient.GetNodesAsync(CancellationToken.None);
            return nodes.Count == 2 && nodes.All(n => n.State == "up");
        }, "both nodes up at the coordinator", TimeSpan.FromSeconds(30));
        Assert.All(nodes, n => Assert.StartsWith("https://127.0.0.1:", n.Url, StringComparison.Ordinal));

        // Scoring: the catalogs of both nodes were gathered over https (two sites with a verified copy: 10).
        await Eventually.TrueAsync(async () =>
        {
            var score = await coordinatorClient.GetScoreAsync(CancellationToken.None);
            return score.Files == 1 && score.Collection == 10;
        }, "the score from both catalogs", TimeSpan.FromSeconds(30));

        // The built-in balancer takes https and forwards to https nodes.
        using var balancer = new ClusterHttp(null, ClientTls.From(new TlsOptions { CaFile = certificates.CaFile })).Create(new Uri(coordinator.ProxyUrl!));
        for (var i = 0; i < 2; i++)
        {
            using var response = await balancer.GetAsync("files/films/a.mkv");
            response.EnsureSuccessStatusCode();
            Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
            Assert.Contains(response.Headers.GetValues("MFleet-Node").Single(), new[] { "p", "f" });
        }

        // A client on the system store, or trusting another CA, is refused; one with the CA file gets through.
        foreach (var untrusting in new[] { ClientTls.System, ClientTls.From(new TlsOptions { CaFile = certificates.OtherCaFile }) })
        {
            using var http = new ClusterHttp(TestNode.Token, untrusting).Create(new Uri(coordinator.Url));
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => new CoordinatorClient(http).GetNodesAsync(CancellationToken.None));
            Assert.IsType<AuthenticationException>(refused.InnerException);
        }
        using var output = new StringWriter();
        using var error = new StringWriter();
        var withoutCa = await Cli.CliApp.RunAsync(["status", "--coordinator", coordinator.Url, "--token", TestNode.Token], output, error);
        Assert.Equal(1, withoutCa);
        Assert.Contains("TLS", error.ToString(), StringComparison.Ordinal);
        var withCa = await Cli.CliApp.RunAsync(["status", "--coordinator", coordinator.Url, "--token", TestNode.Token, "--ca-file", certificates.CaFile], output, TextWriter.Null);
        Assert.Equal(0, withCa);
        Assert.Contains("p *", output.ToString(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> NodeSettings(TestCoordinator coordinator, TestCertificates certificates, string id, string site)
    {
        var settings = coordinator.NodeSettings(id);
        foreach (var (key, value) in certificates.Settings())
        {
            settings[key] = value;
        }
        settings["Node:Listen"] = "https://127.0.0.1:0";
        settings["Node:Site"] = site;
        return settings;
    }
}
