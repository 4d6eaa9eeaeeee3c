using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json;
using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

/// <summary>
/// `mfleet doctor --config F`: one line per check, exit 3 when one fails. Against real running roles in this process,
/// real folders and a read-only file system.
/// </summary>
[SupportedOSPlatform("linux")] // file modes, mounts
public sealed class DoctorCommandTests : IDisposable
{
    private readonly TempFolder _folder = new("mfleet-doctor-");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Doctor_PrimaryAndFollowerOfARunningCluster_Pass()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        await using var primary = await TestNode.StartAsync(settings: coordinator.NodeSettings("p"));
        await using var follower = await TestNode.StartFollowerAsync(primary.Url, settings: coordinator.NodeSettings("f"));
        var primaryConfig = WriteConfig("primary.json", new
        {
            Node = new { Data = primary.Library, Primary = true, Listen = primary.Url, Id = "p", Coordinator = coordinator.Url, Site = "home", ReserveBytes = 1 << 20 },
            Auth = new { Token = TestNode.Token },
        });
        var followerConfig = WriteConfig("follower.json", new
        {
            Node = new { Data = follower.Library, Upstream = primary.Url, Listen = follower.Url, Id = "f", Coordinator = coordinator.Url, Site = "away", ReserveBytes = 1 << 20 },
            Auth = new { Token = TestNode.Token },
        });

        var onPrimary = await CliRun.RunAsync("doctor", "--config", primaryConfig);
        var onFollower = await CliRun.RunAsync("doctor", "--config", followerConfig);

        Assert.True(onPrimary.ExitCode == 0, onPrimary.Out + onPrimary.Error);
        Assert.True(onFollower.ExitCode == 0, onFollower.Out + onFollower.Error);
        Assert.DoesNotContain(onPrimary.Lines.Concat(onFollower.Lines), l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.Contains(onFollower.Lines, l => l.StartsWith("ok    node listen:", StringComparison.Ordinal) && l.Contains("running mfleet-node (instance f)", StringComparison.Ordinal));
        Assert.Contains(onFollower.Lines, l => l.StartsWith($"ok    node upstream: {primary.Url} answers and takes the token", StringComparison.Ordinal));
        Assert.Contains(onFollower.Lines, l => l.StartsWith("ok    node upstream clock:", StringComparison.Ordinal));
        Assert.Contains(onFollower.Lines, l => l.StartsWith($"ok    node coordinator: {coordinator.Url} answers and takes the token", StringComparison.Ordinal));
        Assert.Contains(onPrimary.Lines, l => l.StartsWith("ok    token: set, in ", StringComparison.Ordinal));
        Assert.Contains(onPrimary.Lines, l => l.StartsWith("ok    node data folder:", StringComparison.Ordinal));
        Assert.Contains(onPrimary.Lines, l => l.StartsWith("ok    node .mfleet/tmp:", StringComparison.Ordinal) && l.Contains("same file system", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Doctor_DataFolderOnAReadOnlyFileSystem_FailsTheDataFolderCheck()
    {
        // Root writes through any mode bits, but not to a read-only mount.
        using var mount = new TmpfsMount(1 << 20);
        mount.MakeReadOnly();
        var config = WriteConfig("node.json", new { Node = new { Data = mount.Path, Primary = true, Listen = "http://127.0.0.1:0" }, Auth = new { Token = TestNode.Token } });

        var run = await CliRun.RunAsync("doctor", "--config", config);

        Assert.Equal(3, run.ExitCode);
        var failed = Assert.Single(run.Lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.StartsWith($"FAIL  node data folder: {mount.Path} is not writable:", failed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_WithoutAToken_FailsTheTokenCheck()
    {
        var config = WriteConfig("node.json", new { Node = new { Data = _folder.Combine("library"), Primary = true, Listen = "http://127.0.0.1:0" } });

        var run = await CliRun.RunAsync("doctor", "--config", config);

        Assert.Equal(3, run.ExitCode);
        var failed = Assert.Single(run.Lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.StartsWith("FAIL  token: no cluster token", failed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_TokenInAFileEveryUserCanRead_FailsTheTokenCheck()
    {
        var token = _folder.Combine("token");
        await File.WriteAllTextAsync(token, TestNode.Token + "\n");
        File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var config = WriteConfig("node.json", new { Node = new { Data = _folder.Combine("library"), Primary = true, Listen = "http://127.0.0.1:0" }, Auth = new { TokenFile = token } });

        var run = await CliRun.RunAsync("doctor", "--config", config);

        Assert.Equal(3, run.ExitCode);
        var failed = Assert.Single(run.Lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.Equal($"FAIL  token: {token} holds it and is readable by every user (mode 644): chmod 600 it, or 640 with the service's group", failed);
    }

    [Fact]
    public async Task Doctor_UnreachableUpstream_FailsTheUpstreamCheck()
    {
        var nobody = $"http://127.0.0.1:{NodeProcess.FreePort()}";
        var config = WriteConfig("node.json", new
        {
            Node = new { Data = _folder.Combine("library"), Upstream = nobody, Listen = "http://127.0.0.1:0" },
            Auth = new { Token = TestNode.Token },
        });

        var run = await CliRun.RunAsync("doctor", "--config", config);

        Assert.Equal(3, run.ExitCode);
        var failed = Assert.Single(run.Lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.StartsWith($"FAIL  node upstream: cannot reach {nobody}:", failed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_UpstreamWithAnotherToken_FailsTheUpstreamCheck()
    {
        await using var primary = await TestNode.StartAsync();
        var config = WriteConfig("node.json", new
        {
            Node = new { Data = _folder.Combine("library"), Upstream = primary.Url, Listen = "http://127.0.0.1:0" },
            Auth = new { Token = "not-the-cluster-token" },
        });

        var run = await CliRun.RunAsync("doctor", "--config", config);

        Assert.Equal(3, run.ExitCode);
        var failed = Assert.Single(run.Lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.Equal($"FAIL  node upstream: {primary.Url} refuses this token (403): it has another cluster token", failed);
    }

    [Fact]
    public async Task Doctor_ListenPortHeldByAnotherProgram_FailsTheListenCheck()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;
        var config = WriteConfig("node.json", new
        {
            Node = new { Data = _folder.Combine("library"), Primary = true, Listen = $"http://127.0.0.1:{port}" },
            Auth = new { Token = TestNode.Token },
        });

        var run = await CliRun.RunAsync("doctor", "--config", config);

        Assert.Equal(3, run.ExitCode);
        var failed = Assert.Single(run.Lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.StartsWith($"FAIL  node listen: 127.0.0.1:{port} is in use by another program", failed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_CoordinatorWhoseNginxTestFails_FailsTheNginxTestCheck()
    {
        var upstream = _folder.Combine("upstream.conf");
        await File.WriteAllTextAsync(upstream, "upstream media {\n    server 127.0.0.1:8470;\n}\n");
        var config = WriteConfig("coordinator.json", new
        {
            Coordinator = new { Listen = "http://127.0.0.1:0", NginxConf = upstream, NginxTest = "sh -c 'echo emerg: broken >&2; exit 1'" },
            Auth = new { Token = TestNode.Token },
        });

        var run = await CliRun.RunAsync("doctor", "--config", config);

        Assert.Equal(3, run.ExitCode);
        var failed = Assert.Single(run.Lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.StartsWith("FAIL  coordinator nginx test: 'sh -c 'echo emerg: broken >&2; exit 1'' exited with 1: emerg: broken", failed, StringComparison.Ordinal);
        Assert.Contains(run.Lines, l => l.StartsWith("ok    coordinator nginx file:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Doctor_WorkerOfARunningBroker_Passes()
    {
        await using var broker = await TestBroker.StartAsync();
        var config = WriteConfig("worker.json", new
        {
            Worker = new { Broker = broker.Url, Scratch = _folder.Combine("scratch"), Listen = "http://127.0.0.1:0", MarginBytes = 1 << 20 },
            Auth = new { Token = TestNode.Token },
        });

        var run = await CliRun.RunAsync("doctor", "--config", config);

        Assert.True(run.ExitCode == 0, run.Out + run.Error);
        Assert.Contains(run.Lines, l => l.StartsWith("ok    worker ffmpeg: ffmpeg version", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.StartsWith("ok    worker ffprobe: ffprobe version", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.StartsWith($"ok    worker broker: {broker.Url} answers and takes the token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Doctor_Json_ListsEachCheckWithItsStatus()
    {
        var config = WriteConfig("node.json", new { Node = new { Data = _folder.Combine("library"), Primary = true, Listen = "http://127.0.0.1:0" } });

        var run = await CliRun.RunAsync("doctor", "--config", config, "--json");

        Assert.Equal(3, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        var checks = json.RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("check").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal("fail", checks["token"]);
        Assert.Equal("ok", checks["node listen"]);
        Assert.Equal("warn", checks["node data folder"]); // absent: the node makes it at start
    }

    [Fact]
    public async Task Doctor_Role_ChecksThatSectionOnly()
    {
        var config = WriteConfig("both.json", new
        {
            Node = new { Primary = true }, // no Data: the node's settings would fail
            Coordinator = new { Listen = "http://127.0.0.1:0" },
            Auth = new { Token = TestNode.Token },
        });

        var all = await CliRun.RunAsync("doctor", "--config", config);
        var coordinatorOnly = await CliRun.RunAsync("doctor", "--config", config, "--role", "coordinator");

        Assert.Equal(3, all.ExitCode);
        Assert.Contains(all.Lines, l => l.StartsWith("FAIL  node settings: Node:Data (--data) is required", StringComparison.Ordinal));
        Assert.True(coordinatorOnly.ExitCode == 0, coordinatorOnly.Out);
        Assert.Contains(coordinatorOnly.Lines, l => l.StartsWith("ok    coordinator listen:", StringComparison.Ordinal));
        Assert.DoesNotContain(coordinatorOnly.Lines, l => l.Contains(" node ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Doctor_ConfigWithoutARoleSection_Exits2()
    {
        var config = WriteConfig("auth.json", new { Auth = new { Token = TestNode.Token } });

        var run = await CliRun.RunAsync("doctor", "--config", config);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no Node, Coordinator, Broker or Worker section", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    /// <summary>A settings file as an operator keeps it: readable by its owner only.</summary>
    private string WriteConfig(string name, object settings)
    {
        var path = _folder.Combine(name);
        File.WriteAllText(path, JsonSerializer.Serialize(settings));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
