using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Client;
using MediaFleet.Node;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Hosting.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Cli.Demo;

/// <summary>
/// The demo: a primary on a free loopback port in a temp folder, sample media made by ffmpeg (random bytes
/// without it), ingest, ls, log and a Range GET — through the same commands a user types; followers, a balancer,
/// integrity, and (with ffmpeg) conversion through a broker and two workers. Owns all it starts.
/// </summary>
internal sealed class DemoTour : IAsyncDisposable
{
    private readonly CliConsole _console;
    private readonly LogLevel _nodeLogLevel;
    private readonly bool _useNginx;
    private readonly string _folder = Directory.CreateTempSubdirectory("mfleet-demo-").FullName;
    private readonly string _token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly List<WebApplication> _nodes = [];
    private readonly DemoBalancer _balancer;
    private readonly DemoConversion _conversion;

    public DemoTour(CliConsole console, LogLevel nodeLogLevel, bool useNginx)
    {
        _console = console;
        _nodeLogLevel = nodeLogLevel;
        _useNginx = useNginx;
        // The coordinator's port is chosen first: every node is told where to send heartbeats when it starts.
        _balancer = DemoBalancer.Prepare(_folder);
        _conversion = new DemoConversion(console, Step, _folder, _token, nodeLogLevel);
    }

    public async Task<int> RunAsync(bool wait, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        Step("1. A primary node in a temp folder, on a free loopback port");
        var library = Path.Combine(_folder, "primary");
        var (_, url) = await StartNodeAsync("primary", null, stop.Token).ConfigureAwait(false);
        _console.Out.WriteLine($"primary at {url}, library {library}");

        Step("2. Sample media");
        var samples = Path.Combine(_folder, "samples");
        Directory.CreateDirectory(samples);
        var withFfmpeg = await MakeSamplesAsync(samples, stop.Token).ConfigureAwait(false);

        string[] auth = ["--node", url, "--token", _token];
        Step("3. mfleet ingest samples/ media  (hash, stream, digest-checked on the node)");
        await MfleetAsync(["ingest", samples, "media", .. auth]).ConfigureAwait(false);

        Step("4. mfleet ingest again: identical bytes make no new version");
        await MfleetAsync(["ingest", Path.Combine(samples, "tone.wav"), "media/tone.wav", .. auth]).ConfigureAwait(false);

        Step("5. mfleet mv and mfleet ls");
        await MfleetAsync(["mv", "media/still.png", "media/pictures/still.png", .. auth]).ConfigureAwait(false);
        await MfleetAsync(["ls", .. auth]).ConfigureAwait(false);
        await MfleetAsync(["ls", "--sha256sum", .. auth]).ConfigureAwait(false);

        Step("6. mfleet log: one version per change");
        await MfleetAsync(["log", .. auth]).ConfigureAwait(false);

        Step("7. A Range GET, as a video player seeks");
        await RangeGetAsync(url, "media/pictures/still.png", stop.Token).ConfigureAwait(false);

        Step("8. Bad input is refused with a problem document");
        await ShowRefusalAsync(url, stop.Token).ConfigureAwait(false);

        Step("9. Two followers in a chain: primary <- follower-1 <- follower-2");
        var (_, follower1) = await StartNodeAsync("follower-1", url, stop.Token).ConfigureAwait(false);
        var (follower2App, follower2) = await StartNodeAsync("follower-2", follower1, stop.Token).ConfigureAwait(false);
        await CaughtUpAsync(url, [follower1, follower2], stop.Token).ConfigureAwait(false);
        await MfleetAsync(["status", "--node", follower2, "--token", _token]).ConfigureAwait(false);

        Step("10. Stop follower-2, change the library, start it again: it catches up from the changelog");
        await StopNodeAsync(follower2App).ConfigureAwait(false);
        _console.Out.WriteLine("follower-2 stopped");
        await MfleetAsync(["rm", "media/tone.wav", .. auth]).ConfigureAwait(false);
        await MfleetAsync(["ingest", Path.Combine(samples, "tone.wav"), "media/audio/tone-again.wav", .. auth]).ConfigureAwait(false);
        (follower2App, follower2) = await StartNodeAsync("follower-2", follower1, stop.Token).ConfigureAwait(false);
        await CaughtUpAsync(url, [follower2], stop.Token).ConfigureAwait(false);
        await MfleetAsync(["ls", "--node", follower2, "--token", _token]).ConfigureAwait(false);

        Step("11. An empty node provisions itself from the manifest");
        var (_, fresh) = await StartNodeAsync("fresh", url, stop.Token).ConfigureAwait(false);
        await CaughtUpAsync(url, [fresh], stop.Token).ConfigureAwait(false);
        await MfleetAsync(["status", "--node", fresh, "--token", _token]).ConfigureAwait(false);

        Step("12. Writes sent to a follower are redirected to the primary (307)");
        await ShowRedirectAsync(follower1, stop.Token).ConfigureAwait(false);

        await BalanceAsync(url, follower1, follower2App, follower2, fresh, stop.Token).ConfigureAwait(false);
        await IntegrityAsync(fresh, stop.Token).ConfigureAwait(false);
        if (withFfmpeg)
        {
            // follower-2 was stopped in step 16: the followers that replicate now are follower-1 and fresh.
            await _conversion.RunAsync(url, new Dictionary<string, string> { ["follower-1"] = follower1, ["fresh"] = fresh }, samples, stop.Token).ConfigureAwait(false);
        }
        else
        {
            Step("21. Conversion needs ffmpeg and ffprobe, which are not installed: skipped");
        }

        Step("Try it yourself");
        _console.Out.WriteLine($"  export MFLEET_TOKEN={_token}");
        _console.Out.WriteLine($"  curl -s {url}/v1/status");
        _console.Out.WriteLine($"  curl -sI {url}/files/media/clip.mp4");
        _console.Out.WriteLine($"  curl -s -H 'Range: bytes=0-99' {url}/files/media/clip.mp4 | wc -c");
        _console.Out.WriteLine($"  curl -s -T README.md -H \"Authorization: Bearer $MFLEET_TOKEN\" {url}/files/docs/README.md");
        _console.Out.WriteLine($"  ./mfleet ls --node {url}");
        _console.Out.WriteLine($"  ./mfleet status --node {follower1}      # a follower: version, lag, missing");
        _console.Out.WriteLine($"  ./mfleet status --coordinator {_balancer.CoordinatorUrl}");
        _console.Out.WriteLine($"  curl -sI {_balancer.BalancerUrl}/files/media/clip.mp4   # through the balancer");
        _console.Out.WriteLine($"  ./mfleet undrain --node {follower1}");
        if (_conversion.BrokerUrl is { } broker)
        {
            _console.Out.WriteLine($"  curl -s -H \"Authorization: Bearer $MFLEET_TOKEN\" {broker}/v1/jobs");
            _console.Out.WriteLine($"  curl -s --data-binary @{Path.Combine(samples, "clip.mp4")} -H \"Authorization: Bearer $MFLEET_TOKEN\" '{broker}/v1/jobs?profile=h265-mkv&name=clip.mp4'");
        }
        if (wait)
        {
            _console.Out.WriteLine("The cluster keeps running; press Ctrl-C to stop it and remove the demo folder.");
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _console.Out.WriteLine("stopping");
            }
        }
        return ExitCodes.Ok;
    }

    /// <summary>Starts a node in-process: the primary when <paramref name="upstream"/> is null, else a follower of it.</summary>
    private async Task<(WebApplication App, string Url)> StartNodeAsync(string name, string? upstream, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Node:Data"] = Path.Combine(_folder, name),
            ["Node:Listen"] = "http://127.0.0.1:0",
            ["Node:Id"] = name,
            ["Node:ReserveBytes"] = "0",
            ["Node:Coordinator"] = _balancer.CoordinatorUrl,
            // Two sites, so the preservation score has copies in two places to count.
            ["Node:Site"] = name is "primary" or "follower-1" ? "home" : "office",
            ["Node:HeartbeatInterval"] = DemoBalancer.Interval.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Auth:Token"] = _token,
        };
        settings[upstream is null ? "Node:Primary" : "Node:Upstream"] = upstream ?? "true";
        var app = await NodeApp.BuildAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(),
            logging => logging.SetMinimumLevel(_nodeLogLevel), cancellationToken).ConfigureAwait(false);
        _nodes.Add(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var url = NodeApp.BoundUrls(app)[0];
        if (upstream is not null)
        {
            _console.Out.WriteLine($"{name} at {url}, following {upstream}");
        }
        return (app, url);
    }

    /// <summary>Steps 13–17: the coordinator and a balancer in front of the nodes; drain, stop, fetch through it.</summary>
    private async Task BalanceAsync(string primary, string follower1, WebApplication follower2App, string follower2, string fresh, CancellationToken cancellationToken)
    {
        var nginx = _useNginx ? DemoBalancer.FindNginx() : null;
        Step(nginx is null
            ? $"13. A coordinator with its built-in balancer in front of the nodes{(_useNginx ? " (nginx is not installed)" : "")}"
            : "13. A coordinator keeping a real nginx's upstream file, nginx in front of the nodes");
        var nodes = new Dictionary<string, string> { ["primary"] = primary, ["follower-1"] = follower1, ["follower-2"] = follower2, ["fresh"] = fresh };
        await _balancer.StartAsync(nginx, nodes.Values.Select(u => new Uri(u).Authority), _token, _nodeLogLevel, cancellationToken).ConfigureAwait(false);
        _console.Out.WriteLine($"coordinator at {_balancer.CoordinatorUrl}; clients go to {_balancer.BalancerUrl}");
        await StatesAsync(nodes.Keys.ToDictionary(n => n, _ => "up"), 0, cancellationToken).ConfigureAwait(false);
        await MfleetAsync(["status", "--coordinator", _balancer.CoordinatorUrl, "--token", _token]).ConfigureAwait(false);
        ShowUpstreamFile();

        Step("14. Fetch a file through the balancer: the requests spread over the nodes");
        await FetchThroughBalancerAsync(nodes, cancellationToken).ConfigureAwait(false);

        Step("15. mfleet drain follower-1: it becomes backup, used only when no server is up");
        var reloads = _balancer.NginxReloadsApplied();
        await MfleetAsync(["drain", "--node", follower1, "--token", _token]).ConfigureAwait(false);
        await StatesAsync(new() { ["follower-1"] = "backup" }, reloads + 1, cancellationToken).ConfigureAwait(false);
        ShowUpstreamFile();

        Step("16. Stop follower-2 (as SIGTERM would): its last heartbeat says force_down, so it leaves at once");
        reloads = _balancer.NginxReloadsApplied();
        await StopNodeAsync(follower2App).ConfigureAwait(false);
        await StatesAsync(new() { ["follower-2"] = "down" }, reloads + 1, cancellationToken).ConfigureAwait(false);
        await MfleetAsync(["status", "--coordinator", _balancer.CoordinatorUrl, "--token", _token]).ConfigureAwait(false);
        ShowUpstreamFile();

        Step("17. Fetch through the balancer again: only the up nodes answer");
        await FetchThroughBalancerAsync(nodes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Steps 18–20: a flipped byte found by verify, quarantined, healed from upstream; the score dips and recovers.</summary>
    private async Task IntegrityAsync(string fresh, CancellationToken cancellationToken)
    {
        const string path = "media/clip.mp4";
        string[] coordinator = ["--coordinator", _balancer.CoordinatorUrl, "--token", _token];
        Step("18. The preservation score: every file at two sites (home: primary, follower-1; office: fresh)");
        // follower-2, stopped in step 16, holds nothing that counts once silent for ServerTtl (5 s in the demo).
        var healthy = await ScoreAsync(s => s.ComputedAt is not null && s.Collection >= s.MaxScore
            && s.Servers.Any(n => n.Id == "follower-2" && n.Score == 0), cancellationToken).ConfigureAwait(false);
        await MfleetAsync(["score", .. coordinator]).ConfigureAwait(false);

        Step("19. Bit rot: one byte of fresh's copy of media/clip.mp4 flipped by hand; mfleet verify finds it (exit 3)");
        var copy = Path.Combine(_folder, "fresh", path);
        var bytes = await File.ReadAllBytesAsync(copy, cancellationToken).ConfigureAwait(false);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(copy, bytes, cancellationToken).ConfigureAwait(false);
        await MfleetAsync(["verify", "media", "--node", fresh, "--token", _token], ExitCodes.CheckFailed).ConfigureAwait(false);
        var quarantine = Directory.GetFiles(Path.Combine(_folder, "fresh", ".mfleet", "quarantine"), "clip.mp4", SearchOption.AllDirectories);
        _console.Out.WriteLine($"the bad bytes are kept in {Path.GetRelativePath(Path.Combine(_folder, "fresh"), quarantine.Single())}; the copy is served no more");
        // Score at once: the healer starts within a second, and the dip lasts only until it is done.
        await _balancer.ScoreNowAsync(cancellationToken).ConfigureAwait(false);
        var dipped = await ScoreAsync(s => s.ComputedAt > healthy.ComputedAt && s.Collection < s.MaxScore, cancellationToken, TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        _console.Out.WriteLine(dipped.Collection < dipped.MaxScore
            ? $"the score dips while the office holds no good copy: collection {dipped.Collection:0.##} ({dipped.Label})"
            : "(the copy was healed before the coordinator looked again)");

        Step("20. The heal: good bytes from fresh's upstream, checked against the catalog's SHA-256; the score recovers");
        var started = Stopwatch.GetTimestamp();
        var client = Client(fresh);
        while ((await client.GetMissingAsync(cancellationToken).ConfigureAwait(false)).Any(m => m.Path == path))
        {
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        _console.Out.WriteLine($"healed after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
        await MfleetAsync(["verify", "media", "--node", fresh, "--token", _token]).ConfigureAwait(false);
        await ScoreAsync(s => s.ComputedAt > dipped.ComputedAt && s.Collection >= s.MaxScore, cancellationToken).ConfigureAwait(false);
        await MfleetAsync(["score", "--min", "7.5", .. coordinator]).ConfigureAwait(false);
    }

    /// <summary>Polls the coordinator's score until <paramref name="wanted"/> holds; with <paramref name="wait"/>, returns the last one when it passes.</summary>
    private async Task<ScoreDto> ScoreAsync(Func<ScoreDto, bool> wanted, CancellationToken cancellationToken, TimeSpan? wait = null)
    {
        using var http = NodeClient.CreateHttp(new Uri(_balancer.CoordinatorUrl), _token);
        var client = new CoordinatorClient(http);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var score = await client.GetScoreAsync(cancellationToken).ConfigureAwait(false);
            if (wanted(score))
            {
                return score;
            }
            if (Stopwatch.GetElapsedTime(started) > (wait ?? TimeSpan.FromSeconds(60)))
            {
                return wait is not null ? score : throw new CliException($"demo: the score did not reach what was expected; it is {score.Collection} ({score.Label})");
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until the coordinator publishes each named state and, with nginx, the file says so too and nginx has
    /// finished <paramref name="nginxReloads"/> reloads (so the next request meets the new file).
    /// </summary>
    private async Task StatesAsync(Dictionary<string, string> wanted, int nginxReloads, CancellationToken cancellationToken)
    {
        using var http = NodeClient.CreateHttp(new Uri(_balancer.CoordinatorUrl), _token);
        var coordinator = new CoordinatorClient(http);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        var started = Stopwatch.GetTimestamp();
        var seen = "";
        while (true)
        {
            if (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new CliException($"demo: waited 60 s for {string.Join(", ", wanted.Select(w => $"{w.Key} {w.Value}"))}; the coordinator says {seen}");
            }
            var nodes = await coordinator.GetNodesAsync(cancellationToken).ConfigureAwait(false);
            seen = string.Join(", ", nodes.Select(n => $"{n.Id} {n.State} ({n.Reason})"));
            var state = await coordinator.GetStateAsync(cancellationToken).ConfigureAwait(false);
            var settled = state.GraceOver && wanted.All(w => nodes.Any(n => n.Id == w.Key && n.State == w.Value));
            var written = _balancer.UpstreamFile is null
                || (settled && nodes.Where(n => wanted.ContainsKey(n.Id)).All(n => LineShows(n.Address, n.State))
                    && _balancer.NginxReloadsApplied() >= nginxReloads);
            if (settled && written)
            {
                _console.Out.WriteLine($"{string.Join(", ", wanted.Select(w => $"{w.Key} is {w.Value}"))} (after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s)");
                return;
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool LineShows(string address, string state)
    {
        var line = File.ReadLines(_balancer.UpstreamFile!).FirstOrDefault(l => l.StartsWith($"server {address}", StringComparison.Ordinal));
        return line is not null && state switch
        {
            "up" => !line.Contains(" backup", StringComparison.Ordinal) && !line.Contains(" down", StringComparison.Ordinal),
            _ => line.EndsWith($" {state};", StringComparison.Ordinal),
        };
    }

    private void ShowUpstreamFile()
    {
        if (_balancer.UpstreamFile is { } file)
        {
            _console.Out.WriteLine($"$ cat {file}");
            foreach (var line in File.ReadLines(file))
            {
                _console.Out.WriteLine("  " + line);
            }
        }
    }

    private async Task FetchThroughBalancerAsync(Dictionary<string, string> nodes, CancellationToken cancellationToken)
    {
        var names = nodes.ToDictionary(n => new Uri(n.Value).Authority, n => n.Key);
        using var http = new HttpClient();
        _console.Out.WriteLine($"$ curl {_balancer.BalancerUrl}/files/media/clip.mp4   (6 times)");
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{_balancer.BalancerUrl}/files/media/clip.mp4");
            request.Headers.ConnectionClose = true;
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var server = response.Headers.TryGetValues(_balancer.ServerHeader, out var values) ? values.First() : "?";
            _console.Out.WriteLine($"{(int)response.StatusCode} {response.ReasonPhrase}, {body.Length} bytes, served by {names.GetValueOrDefault(server, server)}");
        }
    }

    private async Task StopNodeAsync(WebApplication app)
    {
        _nodes.Remove(app);
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until every follower's version reaches the primary's, printing each one's progress.</summary>
    private async Task CaughtUpAsync(string primary, IReadOnlyList<string> followers, CancellationToken cancellationToken)
    {
        var target = (await Client(primary).GetStatusAsync(cancellationToken).ConfigureAwait(false)).Version;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(2));
        foreach (var follower in followers)
        {
            var started = Stopwatch.GetTimestamp();
            while ((await Client(follower).GetStatusAsync(deadline.Token).ConfigureAwait(false)).Version < target)
            {
                await Task.Delay(50, deadline.Token).ConfigureAwait(false);
            }
            _console.Out.WriteLine($"{follower} is at version {target} (caught up after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms of waiting)");
        }
    }

    private NodeClient Client(string url) => new(NodeClient.CreateHttp(new Uri(url), _token));

    private async Task ShowRedirectAsync(string follower, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{follower}/files/media/new.bin") { Content = new ByteArrayContent([1]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        _console.Out.WriteLine($"$ curl -T new.bin {follower}/files/media/new.bin");
        _console.Out.WriteLine($"{(int)response.StatusCode} {response.ReasonPhrase}; Location: {response.Headers.Location}");
    }

    private void Step(string title)
    {
        _console.Out.WriteLine();
        _console.Out.WriteLine($"== {title}");
    }

    private async Task MfleetAsync(string[] args, int expected = ExitCodes.Ok)
    {
        var shown = args.TakeWhile(a => a is not ("--node" or "--coordinator" or "--token"));
        _console.Out.WriteLine($"$ mfleet {string.Join(' ', shown)}");
        var code = await CliApp.RunAsync(args, _console.Out, _console.Out).ConfigureAwait(false);
        if (code != expected)
        {
            throw new CliException($"demo step 'mfleet {args[0]}' failed with exit code {code}");
        }
    }

    /// <summary>Makes the samples; false when ffmpeg could not make them (then they are random bytes).</summary>
    private async Task<bool> MakeSamplesAsync(string folder, CancellationToken cancellationToken)
    {
        var withFfmpeg = true;
        (string Name, string[] Args)[] samples =
        [
            ("clip.mp4", ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p"]),
            ("tone.wav", ["-f", "lavfi", "-i", "sine=frequency=440:duration=3"]),
            ("still.png", ["-f", "lavfi", "-i", "testsrc2=size=640x360", "-frames:v", "1"]),
        ];
        foreach (var (name, args) in samples)
        {
            var target = Path.Combine(folder, name);
            if (await TryFfmpegAsync([.. args, "-y", "-loglevel", "error", target], cancellationToken).ConfigureAwait(false))
            {
                _console.Out.WriteLine($"made {name} with ffmpeg ({new FileInfo(target).Length} bytes)");
            }
            else
            {
                await File.WriteAllBytesAsync(target, RandomNumberGenerator.GetBytes(256 * 1024), cancellationToken).ConfigureAwait(false);
                _console.Out.WriteLine($"ffmpeg not available: {name} is 256 KiB of random bytes");
                withFfmpeg = false;
            }
        }
        return withFfmpeg;
    }

    private static async Task<bool> TryFfmpegAsync(string[] args, CancellationToken cancellationToken)
    {
        try
        {
            var result = await ChildProcess.RunAsync(new ChildProcessStart("ffmpeg", args), cancellationToken).ConfigureAwait(false);
            return result.ExitCode == 0;
        }
        catch (ChildProcessStartException)
        {
            return false;
        }
    }

    private async Task RangeGetAsync(string url, string path, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/files/{path}");
        request.Headers.Range = new RangeHeaderValue(0, 99);
        _console.Out.WriteLine($"$ curl -H 'Range: bytes=0-99' {url}/files/{path}");
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        _console.Out.WriteLine($"{(int)response.StatusCode} {response.ReasonPhrase}; Content-Range: {response.Content.Headers.ContentRange}; {body.Length} bytes");
        _console.Out.WriteLine($"ETag: {response.Headers.ETag}; Repr-Digest: {string.Join(',', response.Headers.GetValues("Repr-Digest"))}");
    }

    private async Task ShowRefusalAsync(string url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{url}/files/.mfleet/catalog.db") { Content = new ByteArrayContent("x"u8.ToArray()) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        _console.Out.WriteLine($"$ curl -T - {url}/files/.mfleet/catalog.db");
        _console.Out.WriteLine($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
    }

    public async ValueTask DisposeAsync()
    {
        // The workers and the broker first: they need the nodes, not the other way round.
        await _conversion.DisposeAsync().ConfigureAwait(false);
        // Then the balancer: nodes that stop after it do not make it rewrite and reload nginx on the way out.
        await _balancer.DisposeAsync().ConfigureAwait(false);
        // Followers first, so none of them spends the shutdown retrying a vanished upstream.
        foreach (var node in Enumerable.Reverse(_nodes.ToList()))
        {
            await StopNodeAsync(node).ConfigureAwait(false);
        }
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
