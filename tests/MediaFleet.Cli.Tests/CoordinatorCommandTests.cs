using System.Text.Json;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

public sealed class CoordinatorCommandTests
{
    [Fact]
    public async Task Coordinator_NginxFileMissing_Exits2WithOneLine()
    {
        var run = await CliRun.RunAsync("coordinator", "--nginx-conf", "/nonexistent/upstream.conf", "--token", TestNode.Token);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("'/nonexistent/upstream.conf': no such file", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--listen", "http://example.com:8460")]
    [InlineData("--listen", "not a url")]
    [InlineData("--proxy", "ftp://127.0.0.1:8480")]
    [InlineData("--broker", "127.0.0.1:8490")]
    public async Task Coordinator_BadListenProxyOrBrokerUrl_Exits2(string flag, string value)
    {
        var run = await CliRun.RunAsync("coordinator", flag, value, "--token", TestNode.Token);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(value, run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coordinator_WithoutToken_RefusesToStart()
    {
        var run = await CliRun.RunAsync("coordinator", "--listen", "http://127.0.0.1:0");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("no cluster token", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coordinator_UnclosedQuoteInTheReloadCommand_Exits2()
    {
        using var folder = new TempFolder("mfleet-cli-coord-");
        var file = folder.Combine("upstream.conf");
        await File.WriteAllTextAsync(file, "server 127.0.0.1:9;\n");

        var run = await CliRun.RunAsync("coordinator", "--nginx-conf", file, "--nginx-reload", "sh -c 'echo", "--token", TestNode.Token);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("NginxReload", run.SingleErrorLine(), StringComparison.Ordinal);
    }
}

public sealed class ClusterStatusTests
{
    [Fact]
    public async Task StatusCoordinator_ShowsEveryServerAsATable_AndAsJson()
    {
        // Real nodes report the machine's real load; this test is about the table, not about load.
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?>
        {
            ["Coordinator:BackupThreshold"] = "1000",
            ["Coordinator:DownThreshold"] = "2000",
        });
        await using var primary = await TestNode.StartAsync(settings: coordinator.NodeSettings("alpha"));
        await using var follower = await TestNode.StartFollowerAsync(primary.Url, settings: coordinator.NodeSettings("beta"));
        await follower.Client.SetFlagsAsync(forceDown: null, forceBackup: true, CancellationToken.None);
        await WaitAsync(async () => (await coordinator.NodeAsync("beta"))?.State == "backup" && (await coordinator.NodeAsync("alpha"))?.State == "up");

        var table = await CliRun.RunAsync("status", "--coordinator", coordinator.Url, "--token", TestNode.Token);
        var json = await CliRun.RunAsync("status", "--coordinator", coordinator.Url, "--token", TestNode.Token, "--json");

        Assert.Equal(0, table.ExitCode);
        Assert.Equal(["ID", "ADDRESS", "STATE", "REASON", "LOAD", "VERSION", "LAG", "MISSING", "LAST", "SEEN"], table.Lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var alpha = table.Lines.Single(l => l.StartsWith("alpha *", StringComparison.Ordinal));
        var beta = table.Lines.Single(l => l.StartsWith("beta ", StringComparison.Ordinal));
        Assert.Contains($" {new Uri(primary.Url).Authority} ", alpha, StringComparison.Ordinal);
        Assert.Matches(@"\s+up\s+ok\s+", alpha);
        Assert.Matches(@"\s+backup\s+forced backup\s+", beta);
        Assert.Contains("* primary", table.Out, StringComparison.Ordinal);

        Assert.Equal(0, json.ExitCode);
        var nodes = JsonSerializer.Deserialize(json.Out, CoordinatorJson.Default.IReadOnlyListNodeStateDto)!;
        Assert.Equal(["alpha", "beta"], nodes.Select(n => n.Id));
        using var document = JsonDocument.Parse(json.Out);
        var fields = document.RootElement[0].EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var name in (string[])["id", "address", "url", "state", "reason", "load", "version", "primary", "force_down", "force_backup", "site", "missing", "last_seen"])
        {
            Assert.Contains(name, fields);
        }
    }

    [Fact]
    public async Task StatusCoordinator_BuiltInBalancerOnPortZero_ShowsItsRealPort()
    {
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Coordinator:Proxy"] = "http://127.0.0.1:0" });

        var run = await CliRun.RunAsync("status", "--coordinator", coordinator.Url, "--token", TestNode.Token);

        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(":0\n", run.Out, StringComparison.Ordinal);
        Assert.Contains($"built-in balancer: {coordinator.ProxyUrl}", run.Lines);
    }

    [Fact]
    public async Task StatusCoordinator_Unreachable_Exits1WithOneLine()
    {
        var run = await CliRun.RunAsync("status", "--coordinator", $"http://127.0.0.1:{NodeProcess.FreePort()}");

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Contains("cannot reach the coordinator", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(50, deadline.Token);
        }
    }
}
