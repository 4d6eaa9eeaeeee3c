using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MediaFleet.Testing;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Cli.Tests;

/// <summary>Slow tests (a whole self-contained publish): a collection of their own, run beside the others.</summary>
[CollectionDefinition(Name)]
public sealed class SlowCollection
{
    public const string Name = "slow: package build";
}

/// <summary><c>deploy/package.sh</c> builds the Debian package once; these tests take it apart and run what it holds.</summary>
[Collection(SlowCollection.Name)]
public sealed partial class PackageTests(PackageTests.Build package) : IClassFixture<PackageTests.Build>
{
    private static readonly string[] Roles = ["node", "coordinator", "broker", "worker"];

    [Fact]
    public async Task Package_IsNamedForTheVersionMfleetPrints_AndDescribesItself()
    {
        var version = await package.RunAsync("--version");

        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Out);
        Assert.Equal(version.Out.Trim().Split('+')[0], package.Field("Version"));
        Assert.Equal($"mediafleet_{package.Field("Version")}_amd64.deb", Path.GetFileName(package.Deb));
        Assert.Equal("mediafleet", package.Field("Package"));
        Assert.Equal("amd64", package.Field("Architecture"));
        Assert.Contains("libc6", package.Field("Depends"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PackagedMfleet_ShowsTheNodeCommandsHelp()
    {
        var help = await package.RunAsync("node", "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("mfleet node [options]", help.Out, StringComparison.Ordinal);
        Assert.Contains("--config", help.Out, StringComparison.Ordinal);
        Assert.Contains("--data", help.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PackagedMfleet_ReadsThePackagedNodeSettings()
    {
        // The default node.json names a library but not yet the node's place in the tree: settings are read (comments and
        // all), validated, and refused with the one line an operator needs, exit 2 (which the unit does not restart).
        var run = await package.RunAsync("node", "--config", package.Combine("etc", "mfleet", "node.json"));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("mfleet: a node is either --primary or --upstream URL, exactly one of them", run.Error.Trim());
    }

    [Fact]
    public async Task PackagedMfleet_RunsANode_OnItsOwnSqlite()
    {
        // A node opens its SQLite catalog before it serves: the native library beside the single file must load.
        using var folder = new TempFolder("mfleet-packaged-node-");
        var start = new ProcessStartInfo(package.Combine("usr", "bin", "mfleet")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["node", "--data", folder.Combine("library"), "--primary", "--listen", "http://127.0.0.1:0"])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["MFLEET_TOKEN"] = TestNode.Token;
        start.Environment["MFLEET_Node__ReserveBytes"] = "0";
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? url = null;
        HttpStatusCode health;
        int exitCode;
        try
        {
            // WaitAsync: a read from a pipe may not see the token by itself.
            while (url is null && await process.StandardOutput.ReadLineAsync(cancel.Token).AsTask().WaitAsync(cancel.Token) is { } line)
            {
                url = ServingOn().Match(line) is { Success: true } match ? match.Groups[1].Value : null;
            }
            if (url is null)
            {
                Assert.Fail("the packaged node did not serve: " + await errors);
            }
            using var http = new HttpClient();
            using (var answer = await http.GetAsync(new Uri(url + "/healthz"), cancel.Token))
            {
                health = answer.StatusCode;
            }
            Assert.Equal(0, Kill(process.Id, 15));
            await process.StandardOutput.ReadToEndAsync(cancel.Token).WaitAsync(cancel.Token);
            await process.WaitForExitAsync(cancel.Token);
            exitCode = process.ExitCode;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Equal(HttpStatusCode.OK, health);
        Assert.True(File.Exists(folder.Combine("library", ".mfleet", "catalog.db")));
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task PackagedMfleet_IsNative_AndReplicatesAndBalancesAFile()
    {
        // The package ships a native-AOT mfleet: an ELF executable with no mfleet.dll. Its request delegates, JSON
        // contracts and configuration binding are the source-generated ones, and the built-in balancer is YARP: a
        // primary, a follower and a coordinator from the package move one file end to end.
        var mfleet = package.Combine("usr", "bin", "mfleet");
        var image = await File.ReadAllBytesAsync(mfleet);
        Assert.Equal("\u007fELF"u8.ToArray(), image[..4]);
        // The section of precompiled managed code a native-AOT build links in (an apphost or a single-file bundle
        // has none: its code is IL that a JIT compiles).
        Assert.True(image.AsSpan().IndexOf("__managedcode"u8) > 0, "mfleet has no __managedcode section: not a native-AOT build");
        Assert.Empty(Directory.GetFiles(package.Combine("usr", "lib", "mediafleet"), "*.dll"));

        using var folder = new TempFolder("mfleet-packaged-cluster-");
        var fast = new Dictionary<string, string> { ["MFLEET_Node__HeartbeatInterval"] = "0.3", ["MFLEET_Coordinator__HeartbeatInterval"] = "0.3" };
        // The suite loads this machine past the default thresholds (a node with load 4 is down): only silence counts here.
        var coordinatorSettings = new Dictionary<string, string>(fast)
        {
            ["MFLEET_Coordinator__BackupThreshold"] = "1000",
            ["MFLEET_Coordinator__DownThreshold"] = "2000",
        };
        await using var coordinator = await NodeProcess.StartCoordinatorAsync("http://127.0.0.1:0", ["--proxy", "http://127.0.0.1:0"],
            environment: coordinatorSettings, program: mfleet);
        var proxy = await BalancerUrlAsync(coordinator);
        await using var primary = await NodeProcess.StartAsync(folder.Combine("primary"), ["--primary", "--id", "primary", "--coordinator", coordinator.Url],
            environment: fast, program: mfleet);
        await using var follower = await NodeProcess.StartAsync(folder.Combine("follower"), ["--upstream", primary.Url, "--id", "follower", "--coordinator", coordinator.Url],
            environment: fast, program: mfleet);
        var bytes = new byte[100_000];
        new Random(12).NextBytes(bytes);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", TestNode.Token);
        using (var put = await http.PutAsync(new Uri($"{primary.Url}/files/media/native.bin"), new ByteArrayContent(bytes)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var served = new HashSet<string>(StringComparer.Ordinal);
        var last = "";
        var watch = Stopwatch.StartNew();
        while (served.Count < 2 && watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var answer = await http.GetAsync(new Uri($"{proxy}/files/media/native.bin"));
            if (answer.StatusCode == HttpStatusCode.OK && answer.Headers.TryGetValues("MFleet-Node", out var node))
            {
                Assert.Equal(bytes, await answer.Content.ReadAsByteArrayAsync());
                served.Add(node.Single());
            }
            else
            {
                last = $"{(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}";
                await Task.Delay(100);
            }
        }

        Assert.True(served.Count == 2, $"served by [{string.Join(", ", served)}] through {proxy}; last other answer: {last}\ncoordinator:\n{coordinator.Output}");
        Assert.Equal(["follower", "primary"], served.Order(StringComparer.Ordinal));
        using var status = await http.GetAsync(new Uri($"{follower.Url}/v1/status"));
        var text = await status.Content.ReadAsStringAsync();
        Assert.Contains("\"version\":1,", text, StringComparison.Ordinal);
        Assert.Contains("\"missing\":0,", text, StringComparison.Ordinal);
    }

    /// <summary>The address the coordinator's built-in balancer took (it was asked for port 0), from its log line.</summary>
    private static async Task<string> BalancerUrlAsync(NodeProcess coordinator)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (BalancerOn().Match(coordinator.Output) is { Success: true } match)
            {
                return match.Groups[1].Value;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"the coordinator never printed its balancer's address:\n{coordinator.Output}");
    }

    [GeneratedRegex(@"built-in balancer on (http://\S+)")]
    private static partial Regex BalancerOn();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"serving .* on (http://\S+)")]
    private static partial Regex ServingOn();

    [Fact]
    public void Package_HoldsTheProgramUnitsAndSettings()
    {
        Assert.Equal("../lib/mediafleet/mfleet", new FileInfo(package.Combine("usr", "bin", "mfleet")).LinkTarget);
        Assert.True(File.Exists(package.Combine("usr", "lib", "mediafleet", "libe_sqlite3.so")));
        foreach (var role in Roles)
        {
            Assert.Equal(File.ReadAllText(Repository.Combine("deploy", "systemd", $"mfleet-{role}.service")),
                File.ReadAllText(package.Combine("lib", "systemd", "system", $"mfleet-{role}.service")));
            var settings = new ConfigurationBuilder().AddJsonFile(package.Combine("etc", "mfleet", $"{role}.json")).Build();
            Assert.NotEmpty(settings.GetSection(char.ToUpperInvariant(role[0]) + role[1..]).GetChildren());
        }
        Assert.Equal(Roles.Select(r => $"/etc/mfleet/{r}.json").Order(StringComparer.Ordinal),
            File.ReadAllLines(package.Combine("DEBIAN", "conffiles")).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(package.Combine("usr", "share", "doc", "mediafleet", "README.md")));
    }

    [Fact]
    public async Task MaintainerScripts_CreateTheUser_AndStartNothing()
    {
        var postinst = await File.ReadAllTextAsync(package.Combine("DEBIAN", "postinst"));

        Assert.Contains("adduser --system", postinst, StringComparison.Ordinal);
        Assert.Contains("install -d -o mfleet -g mfleet -m 0750 /var/lib/mfleet", postinst, StringComparison.Ordinal);
        Assert.DoesNotMatch(StartsUnits(), postinst);
        foreach (var script in (string[])["postinst", "prerm", "postrm"])
        {
            var check = await Repository.RunAsync("sh", ["-n", package.Combine("DEBIAN", script)], TimeSpan.FromSeconds(30));
            Assert.True(check.ExitCode == 0, $"{script}: {check.Error}");
        }
    }

    [GeneratedRegex(@"systemctl\s+(start|enable|restart|reload-or-restart)\b")]
    private static partial Regex StartsUnits();

    /// <summary>The package built by <c>deploy/package.sh --out</c> into a temp folder, extracted with dpkg-deb.</summary>
    public sealed class Build : IAsyncLifetime
    {
        private readonly TempFolder _folder = new("mfleet-package-");
        private Dictionary<string, string> _fields = [];

        public string Deb { get; private set; } = "";

        public string Combine(params string[] parts) => _folder.Combine(["root", .. parts]);

        public string Field(string name) => _fields.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"no {name} in the control file");

        public async Task InitializeAsync()
        {
            var build = await Repository.RunAsync("bash", [Repository.Combine("deploy", "package.sh"), "--out", _folder.Combine("out")], TimeSpan.FromMinutes(15));
            if (build.ExitCode != 0)
            {
                throw new InvalidOperationException($"package.sh exited {build.ExitCode}: {build.Error}");
            }
            Deb = build.Out.Trim().Split('\n')[^1];
            foreach (var (args, what) in new[] { (new[] { "-x", Deb, Combine() }, "files"), (["-e", Deb, Combine("DEBIAN")], "control files") })
            {
                var extract = await Repository.RunAsync("dpkg-deb", args, TimeSpan.FromMinutes(2));
                if (extract.ExitCode != 0)
                {
                    throw new InvalidOperationException($"dpkg-deb could not extract the {what}: {extract.Error}");
                }
            }
            var info = await Repository.RunAsync("dpkg-deb", ["-f", Deb], TimeSpan.FromMinutes(1));
            _fields = info.Out.Split('\n').Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && l.Contains(':', StringComparison.Ordinal))
                .Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
        }

        /// <summary>Runs the packaged <c>mfleet</c> (through its /usr/bin link) with a token, as an operator would.</summary>
        public Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args) =>
            Repository.RunAsync(Combine("usr", "bin", "mfleet"), args, TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["MFLEET_TOKEN"] = TestNode.Token });

        public Task DisposeAsync()
        {
            _folder.Dispose();
            return Task.CompletedTask;
        }
    }
}
