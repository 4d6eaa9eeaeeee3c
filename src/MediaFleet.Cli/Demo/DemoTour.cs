using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Client;
using MediaFleet.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Cli.Demo;

/// <summary>
/// The demo: a primary on a free loopback port in a temp folder, sample media made by ffmpeg (random bytes
/// without it), ingest, ls, log and a Range GET — through the same commands a user types. Owns all it starts.
/// </summary>
internal sealed class DemoTour(CliConsole console, LogLevel nodeLogLevel) : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mfleet-demo-").FullName;
    private readonly string _token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly List<WebApplication> _nodes = [];

    public async Task<int> RunAsync(bool wait, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        Step("1. A primary node in a temp folder, on a free loopback port");
        var library = Path.Combine(_folder, "primary");
        var (_, url) = await StartNodeAsync("primary", null, stop.Token).ConfigureAwait(false);
        console.Out.WriteLine($"primary at {url}, library {library}");

        Step("2. Sample media");
        var samples = Path.Combine(_folder, "samples");
        Directory.CreateDirectory(samples);
        await MakeSamplesAsync(samples, stop.Token).ConfigureAwait(false);

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
        console.Out.WriteLine("follower-2 stopped");
        await MfleetAsync(["rm", "media/tone.wav", .. auth]).ConfigureAwait(false);
        await MfleetAsync(["ingest", Path.Combine(samples, "tone.wav"), "media/audio/tone-again.wav", .. auth]).ConfigureAwait(false);
        (_, follower2) = await StartNodeAsync("follower-2", follower1, stop.Token).ConfigureAwait(false);
        await CaughtUpAsync(url, [follower2], stop.Token).ConfigureAwait(false);
        await MfleetAsync(["ls", "--node", follower2, "--token", _token]).ConfigureAwait(false);

        Step("11. An empty node provisions itself from the manifest");
        var (_, fresh) = await StartNodeAsync("fresh", url, stop.Token).ConfigureAwait(false);
        await CaughtUpAsync(url, [fresh], stop.Token).ConfigureAwait(false);
        await MfleetAsync(["status", "--node", fresh, "--token", _token]).ConfigureAwait(false);

        Step("12. Writes sent to a follower are redirected to the primary (307)");
        await ShowRedirectAsync(follower1, stop.Token).ConfigureAwait(false);

        Step("Try it yourself");
        console.Out.WriteLine($"  export MFLEET_TOKEN={_token}");
        console.Out.WriteLine($"  curl -s {url}/v1/status");
        console.Out.WriteLine($"  curl -sI {url}/files/media/clip.mp4");
        console.Out.WriteLine($"  curl -s -H 'Range: bytes=0-99' {url}/files/media/clip.mp4 | wc -c");
        console.Out.WriteLine($"  curl -s -T README.md -H \"Authorization: Bearer $MFLEET_TOKEN\" {url}/files/docs/README.md");
        console.Out.WriteLine($"  ./mfleet ls --node {url}");
        console.Out.WriteLine($"  ./mfleet status --node {follower1}      # a follower: version, lag, missing");
        if (wait)
        {
            console.Out.WriteLine("The node keeps running; press Ctrl-C to stop it and remove the demo folder.");
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                console.Out.WriteLine("stopping");
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
            ["Auth:Token"] = _token,
        };
        settings[upstream is null ? "Node:Primary" : "Node:Upstream"] = upstream ?? "true";
        var app = await NodeApp.BuildAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(),
            logging => logging.SetMinimumLevel(nodeLogLevel), cancellationToken).ConfigureAwait(false);
        _nodes.Add(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var url = NodeApp.BoundUrls(app)[0];
        if (upstream is not null)
        {
            console.Out.WriteLine($"{name} at {url}, following {upstream}");
        }
        return (app, url);
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
            console.Out.WriteLine($"{follower} is at version {target} (caught up after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms of waiting)");
        }
    }

    private NodeClient Client(string url) => new(NodeClient.CreateHttp(new Uri(url), _token));

    private async Task ShowRedirectAsync(string follower, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{follower}/files/media/new.bin") { Content = new ByteArrayContent([1]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        console.Out.WriteLine($"$ curl -T new.bin {follower}/files/media/new.bin");
        console.Out.WriteLine($"{(int)response.StatusCode} {response.ReasonPhrase}; Location: {response.Headers.Location}");
    }

    private void Step(string title)
    {
        console.Out.WriteLine();
        console.Out.WriteLine($"== {title}");
    }

    private async Task MfleetAsync(string[] args)
    {
        var shown = args.TakeWhile(a => a != "--node");
        console.Out.WriteLine($"$ mfleet {string.Join(' ', shown)}");
        var code = await CliApp.RunAsync(args, console.Out, console.Error).ConfigureAwait(false);
        if (code != ExitCodes.Ok)
        {
            throw new CliException($"demo step 'mfleet {args[0]}' failed with exit code {code}");
        }
    }

    private async Task MakeSamplesAsync(string folder, CancellationToken cancellationToken)
    {
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
                console.Out.WriteLine($"made {name} with ffmpeg ({new FileInfo(target).Length} bytes)");
            }
            else
            {
                await File.WriteAllBytesAsync(target, RandomNumberGenerator.GetBytes(256 * 1024), cancellationToken).ConfigureAwait(false);
                console.Out.WriteLine($"ffmpeg not available: {name} is 256 KiB of random bytes");
            }
        }
    }

    private static async Task<bool> TryFfmpegAsync(string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        try
        {
            using var process = Process.Start(start)!;
            try
            {
                var drain = Task.WhenAll(process.StandardError.ReadToEndAsync(cancellationToken), process.StandardOutput.ReadToEndAsync(cancellationToken));
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                await drain.ConfigureAwait(false);
                return process.ExitCode == 0;
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private async Task RangeGetAsync(string url, string path, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/files/{path}");
        request.Headers.Range = new RangeHeaderValue(0, 99);
        console.Out.WriteLine($"$ curl -H 'Range: bytes=0-99' {url}/files/{path}");
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        console.Out.WriteLine($"{(int)response.StatusCode} {response.ReasonPhrase}; Content-Range: {response.Content.Headers.ContentRange}; {body.Length} bytes");
        console.Out.WriteLine($"ETag: {response.Headers.ETag}; Repr-Digest: {string.Join(',', response.Headers.GetValues("Repr-Digest"))}");
    }

    private async Task ShowRefusalAsync(string url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{url}/files/.mfleet/catalog.db") { Content = new ByteArrayContent("x"u8.ToArray()) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        console.Out.WriteLine($"$ curl -T - {url}/files/.mfleet/catalog.db");
        console.Out.WriteLine($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
    }

    public async ValueTask DisposeAsync()
    {
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
