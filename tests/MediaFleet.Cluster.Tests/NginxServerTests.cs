using System.Diagnostics;
using System.Net;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>
/// The nginx harness itself, against real nginx and real nodes. No [Collection]: each instance owns its folder and
/// ports, so the class runs in parallel with the others.
/// </summary>
public sealed class NginxServerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the whole block in the file, with a balancing method that forbids backup
    public async Task Get_GoesThroughNginxToTheServerInTheFile(bool textIsUpstreamBlock)
    {
        await using var node = await StartNodeWithFileAsync();
        var line = $"server {Address(node)};\n";
        var text = textIsUpstreamBlock ? $"upstream {NginxServer.UpstreamName} {{\n    hash $request_uri;\n    {line}}}\n" : line;

        await using var nginx = await NginxServer.StartAsync(text, textIsUpstreamBlock);
        var (status, upstream) = await nginx.GetAsync("/files/a.bin");

        Assert.Equal((HttpStatusCode.OK, Address(node)), (status, upstream));
        Assert.Equal(0, nginx.ReloadCount);
    }

    [Fact]
    public async Task ReloadCommand_AppliesTheRewrittenFile_AndIsCountedOnce()
    {
        await using var first = await StartNodeWithFileAsync();
        await using var second = await StartNodeWithFileAsync();
        await using var nginx = await NginxServer.StartAsync($"# backup_threshold=0.6\nserver {Address(first)};\n");
        Assert.Equal((HttpStatusCode.OK, Address(first)), await nginx.GetAsync("/files/a.bin"));

        await File.WriteAllTextAsync(nginx.UpstreamPath, $"# backup_threshold=0.6\nserver {Address(first)} down;\nserver {Address(second)};\n");
        Assert.Equal(0, await RunAsync(nginx.ReloadCommand));
        await nginx.WaitForReloadCountAsync(1, TimeSpan.FromSeconds(20));

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal((HttpStatusCode.OK, Address(second)), await nginx.GetAsync("/files/a.bin"));
        }
        Assert.Equal(1, nginx.ReloadCount);
    }

    [Fact]
    public async Task BreakMainConfig_FailsTheTestCommand_UntilRepaired()
    {
        await using var nginx = await NginxServer.StartAsync("server 127.0.0.1:9;\n");
        Assert.Equal(0, await RunAsync(nginx.TestCommand));

        nginx.BreakMainConfig();
        Assert.NotEqual(0, await RunAsync(nginx.TestCommand));
        Assert.NotEqual(0, await RunAsync(nginx.ReloadCommand)); // -s reads the config too, to find the pid file

        nginx.RepairMainConfig();
        Assert.Equal(0, await RunAsync(nginx.TestCommand));
        Assert.Equal(0, nginx.ReloadCount);
    }

    [Fact]
    public async Task StartAsync_WithAFileNginxRejects_ThrowsWithTheErrorLog()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => NginxServer.StartAsync("server 127.0.0.1:9 backup\n"));

        Assert.Contains("[emerg]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposeAsync_StopsNginxAndRemovesTheFolder_AndMayBeCalledTwice()
    {
        var nginx = await NginxServer.StartAsync("server 127.0.0.1:9;\n");
        var folder = nginx.Folder;

        await nginx.DisposeAsync();
        await nginx.DisposeAsync();

        Assert.False(Directory.Exists(folder));
        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(nginx.BaseUrl));
    }

    private static string Address(TestNode node) => new Uri(node.Url).Authority;

    private static async Task<TestNode> StartNodeWithFileAsync()
    {
        var node = await TestNode.StartAsync();
        await using var body = new MemoryStream([1, 2, 3]);
        await node.Client.PutFileAsync("a.bin", body, body.Length, null, CancellationToken.None);
        return node;
    }

    /// <summary>Runs a command the way the coordinator does: split on spaces, arguments passed as a list.</summary>
    private static async Task<int> RunAsync(string command)
    {
        var parts = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo(parts[0]) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var part in parts[1..])
        {
            start.ArgumentList.Add(part);
        }
        using var process = Process.Start(start)!;
        _ = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
