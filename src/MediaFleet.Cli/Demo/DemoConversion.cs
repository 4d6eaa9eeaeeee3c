using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Conversion.Broker;
using MediaFleet.Conversion.Ffmpeg;
using MediaFleet.Hosting;
using MediaFleet.Hosting.Processes;
using MediaFleet.Hosting.Transfers;
using MediaFleet.Library.Digests;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Cli.Demo;

/// <summary>
/// The demo's conversion part (steps 21–26): a broker in this process and two workers as processes of their own;
/// conversions with progress, digest-checked fetches probed by ffprobe, a worker killed with kill -9 mid-encode, and an
/// output put into the library that replicates to the followers. Owns the broker and the workers.
/// </summary>
internal sealed class DemoConversion : IAsyncDisposable
{
    /// <summary>
    /// The demo's slow profile, added through configuration as a user would: the <c>realtime</c> filter holds ffmpeg to
    /// the clip's own pace, so a worker is still encoding when it is killed.
    /// </summary>
    private const string SlowProfile = "h264-realtime";

    /// <summary>Seconds of the slow job's clip: long enough to kill a worker mid-encode, short enough for the demo.</summary>
    private const int SlowSeconds = 20;

    /// <summary>Short, so a killed worker's job is back in the queue within seconds (the default is 30).</summary>
    private const int LeaseSeconds = 4;

    /// <summary>The demo's client id (<c>X-MFleet-Client</c>).</summary>
    private const string ClientId = "demo";

    private static readonly TimeSpan JobDeadline = TimeSpan.FromSeconds(90);

    private readonly CliConsole _console;
    private readonly Action<string> _step;
    private readonly string _folder;
    private readonly string _token;
    private readonly LogLevel _logLevel;
    private readonly List<DemoWorker> _workers = [];
    private readonly Dictionary<string, string> _extensions = new(StringComparer.Ordinal);

    /// <summary>What a killed worker left running, by pid and start time, until it is ended (also on a failed step).</summary>
    private readonly List<ProcessMark> _orphans = [];
    private WebApplication? _broker;
    private BrokerClient? _client;

    public DemoConversion(CliConsole console, Action<string> step, string folder, string token, LogLevel logLevel)
    {
        _console = console;
        _step = step;
        _folder = folder;
        _token = token;
        _logLevel = logLevel;
    }

    /// <summary>The broker's URL once started.</summary>
    public string? BrokerUrl { get; private set; }

    private BrokerClient Broker => _client ?? throw new InvalidOperationException("the broker has not started");

    /// <summary>
    /// Runs steps 21–26: the samples in <paramref name="samples"/> (made by ffmpeg), the library's primary at
    /// <paramref name="primary"/> and the running <paramref name="followers"/> by name.
    /// </summary>
    public async Task RunAsync(string primary, IReadOnlyDictionary<string, string> followers, string samples, CancellationToken cancellationToken)
    {
        _step("21. A broker and two workers, each `mfleet worker` a process of its own");
        await StartBrokerAsync(primary, cancellationToken).ConfigureAwait(false);
        await StartWorkersAsync(cancellationToken).ConfigureAwait(false);

        _step("22. Three conversions, two at a time (one per worker): a clip to h264-mp4, a PNG to webp, a tone to opus");
        List<JobDto> quick =
        [
            await SubmitAsync(Path.Combine(samples, "clip.mp4"), "h264-mp4", null, cancellationToken).ConfigureAwait(false),
            await SubmitAsync(Path.Combine(samples, "still.png"), "webp", null, cancellationToken).ConfigureAwait(false),
            await SubmitAsync(Path.Combine(samples, "tone.wav"), "opus", null, cancellationToken).ConfigureAwait(false),
        ];
        quick = await FollowAsync(quick, jobs => jobs.All(j => JobStates.IsFinished(j.State)), cancellationToken).ConfigureAwait(false);
        EnsureSucceeded(quick);

        _step("23. Fetch the outputs (resumable, checked against the job's SHA-256) and ffprobe them");
        string[] codecs = ["h264", "webp", "opus"];
        for (var i = 0; i < quick.Count; i++)
        {
            await FetchAndProbeAsync(quick[i], codecs[i], cancellationToken).ConfigureAwait(false);
        }

        _step($"24. kill -9 the worker of a {SlowSeconds} s job mid-encode: the lease expires, the job is queued again and finishes on the other worker");
        await KillMidEncodeAsync(samples, cancellationToken).ConfigureAwait(false);

        _step("25. A conversion with ingest_as: the broker puts the output into the library, and it replicates to the followers");
        await IngestAsync(samples, followers, cancellationToken).ConfigureAwait(false);

        _step("26. The broker's jobs (GET /v1/jobs; its page at GET / shows the same)");
        await ListJobsAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StartBrokerAsync(string primary, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Broker:Data"] = Path.Combine(_folder, "broker"),
            ["Broker:Listen"] = "http://127.0.0.1:0",
            ["Broker:Node"] = primary,
            ["Broker:LeaseSeconds"] = LeaseSeconds.ToString(CultureInfo.InvariantCulture),
            ["Broker:ReserveBytes"] = "0",
            [$"Broker:Profiles:{SlowProfile}:media"] = "video",
            [$"Broker:Profiles:{SlowProfile}:extension"] = "mp4",
            // One thread and the fastest preset: the job is slow because of the filter, not because it eats the cores.
            [$"Broker:Profiles:{SlowProfile}:args"] = "-map 0:v:0 -vf realtime -c:v libx264 -preset ultrafast -threads 1 -pix_fmt yuv420p",
            [$"Broker:Profiles:{SlowProfile}:description"] = "H.264 at the input's own pace (the demo's slow job)",
            ["Auth:Token"] = _token,
        };
        _broker = BrokerApp.Build(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), logging => logging.SetMinimumLevel(_logLevel));
        await _broker.StartAsync(cancellationToken).ConfigureAwait(false);
        BrokerUrl = RoleHost.BoundUrls(_broker.Services)[0];
        _client = new BrokerClient(NodeClient.CreateHttp(new Uri(BrokerUrl), _token));
        _console.Out.WriteLine($"broker at {BrokerUrl}, data {Path.Combine(_folder, "broker")}; leases last {LeaseSeconds} s; ingest_as goes to the primary {primary}");
        var profiles = await Broker.GetProfilesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var profile in profiles)
        {
            _extensions[profile.Name] = profile.Extension;
        }
        _console.Out.WriteLine($"$ curl {BrokerUrl}/v1/profiles");
        _console.Out.WriteLine($"{profiles.Count} profiles: {string.Join(", ", profiles.Select(p => p.Name))}");
        var slow = profiles.SingleOrDefault(p => p.Name == SlowProfile)
            ?? throw new CliException($"demo: the broker does not list the profile {SlowProfile} given in its configuration");
        _console.Out.WriteLine($"{slow.Name} ({slow.Media} -> .{slow.Extension}) is the demo's own, from configuration: {slow.Description}");
    }

    private async Task StartWorkersAsync(CancellationToken cancellationToken)
    {
        string[] names = ["worker-1", "worker-2"];
        foreach (var name in names)
        {
            _console.Out.WriteLine($"$ mfleet worker --broker {BrokerUrl} --id {name} --scratch {Path.Combine(_folder, name)} --listen http://127.0.0.1:0");
        }
        // Both start at once: each is a whole .NET process that takes a moment to come up.
        var started = names.Select(name =>
            DemoWorker.StartAsync(name, BrokerUrl!, Path.Combine(_folder, name), _token, _logLevel <= LogLevel.Information, cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(started).ConfigureAwait(false);
        }
        finally
        {
            // Whatever started is owned from here on, even when the other failed.
            foreach (var worker in started.Where(t => t.IsCompletedSuccessfully))
            {
                _workers.Add(await worker.ConfigureAwait(false));
            }
        }
        using var http = new HttpClient();
        foreach (var worker in _workers)
        {
            var health = (await http.GetStringAsync($"{worker.Url}/healthz", cancellationToken).ConfigureAwait(false)).Trim();
            _console.Out.WriteLine($"{worker.Name}: pid {worker.Pid}, one slot; GET {worker.Url}/healthz says {health}");
        }
    }

    private async Task<JobDto> SubmitAsync(string path, string profile, string? ingestAs, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            var (job, created) = await Broker.SubmitAsync(stream, stream.Length, profile, name, ingestAs, ClientId, null, null, cancellationToken).ConfigureAwait(false);
            if (!created)
            {
                throw new CliException($"demo: the broker returned the earlier job {job.Id} for {name} -> {profile} instead of a new one");
            }
            var query = $"profile={profile}&name={name}" + (ingestAs is null ? "" : $"&ingest_as={ingestAs}");
            _console.Out.WriteLine($"$ curl --data-binary @{name} '{BrokerUrl}/v1/jobs?{query}'");
            _console.Out.WriteLine($"202 Accepted: job {job.Id}, {job.State}, {job.Size} bytes in");
            return job;
        }
    }

    /// <summary>
    /// Polls the jobs until <paramref name="until"/> holds, printing a line whenever one changes state or worker or passes
    /// a quarter of its progress; with <paramref name="quietAtEnd"/>, the change that ends the wait is left for the caller
    /// to tell. Returns the jobs as last seen.
    /// </summary>
    private async Task<List<JobDto>> FollowAsync(List<JobDto> jobs, Func<List<JobDto>, bool> until, CancellationToken cancellationToken, bool quietAtEnd = false)
    {
        var shown = jobs.Select(Shown).ToList();
        var started = Stopwatch.GetTimestamp();
        while (!until(jobs))
        {
            if (Stopwatch.GetElapsedTime(started) > JobDeadline)
            {
                throw new CliException($"demo: waited {JobDeadline.TotalSeconds} s; the jobs are {string.Join(", ", jobs.Select(j => $"{j.Id} {j.State} ({j.Error})"))}");
            }
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < jobs.Count; i++)
            {
                jobs[i] = await Broker.GetJobAsync(jobs[i].Id, cancellationToken).ConfigureAwait(false);
            }
            var ends = quietAtEnd && until(jobs);
            for (var i = 0; i < jobs.Count && !ends; i++)
            {
                var now = Shown(jobs[i]);
                if (now != shown[i])
                {
                    shown[i] = now;
                    _console.Out.WriteLine(Describe(jobs[i]));
                }
            }
        }
        return jobs;

        static (string, string?, int) Shown(JobDto job) => (job.State, job.Worker, (int)(job.Progress * 4));
    }

    private static string Describe(JobDto job)
    {
        var line = $"  {job.Name} -> {job.Profile}: {job.State}";
        if (job.Worker is not null)
        {
            line += $" on {job.Worker}";
        }
        if (job.State == JobStates.Running)
        {
            line += $", {job.Progress * 100:0} %" + (job.EtaSeconds is { } eta ? $", eta {eta:0} s" : "");
        }
        if (job.State == JobStates.Succeeded && job.Output is { } output)
        {
            line += $", attempts {job.Attempts}: {output.Size} bytes" + (output.DurationSeconds is { } seconds ? $", {seconds:0.00} s" : "");
        }
        if (job.State is JobStates.Failed or JobStates.Queued && job.Error is not null)
        {
            line += $" (attempts {job.Attempts}: {job.Error})";
        }
        return line;
    }

    private static void EnsureSucceeded(IEnumerable<JobDto> jobs)
    {
        foreach (var job in jobs.Where(j => j.State != JobStates.Succeeded))
        {
            throw new CliException($"demo: job {job.Id} ({job.Name} -> {job.Profile}) is {job.State}: {job.Error}");
        }
    }

    /// <summary>
    /// Downloads a succeeded job's output through <see cref="ResumableDownload"/> (only bytes with the job's SHA-256 are
    /// kept) and checks with ffprobe that it holds a stream of <paramref name="codec"/>; returns the probe.
    /// </summary>
    private async Task<MediaProbe> FetchAndProbeAsync(JobDto job, string codec, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(_folder, "converted");
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, Path.GetFileNameWithoutExtension(job.Name) + "." + _extensions[job.Profile]);
        var output = job.Output ?? throw new CliException($"demo: job {job.Id} succeeded without an output");
        _console.Out.WriteLine($"$ curl -o {Path.GetFileName(target)} {BrokerUrl}/{BrokerClient.OutputUri(job.Id)}   (then sha256sum)");
        var request = new DownloadRequest
        {
            Url = new Uri(BrokerClient.OutputUri(job.Id), UriKind.Relative),
            PartialPath = target + ".partial",
            Sha256 = Sha256Digest.ParseHex(output.Sha256),
            Size = output.Size,
            Source = "the broker",
        };
        try
        {
            using var file = await ResumableDownload.DownloadAsync(Broker.Http, request, TimeSpan.FromSeconds(30), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            File.Move(file.TempPath, target, overwrite: true);
            _console.Out.WriteLine($"fetched {file.Length} bytes; sha-256 {file.Sha256.Hex[..16]}… is the job's output.sha256");
        }
        catch (DownloadFailedException e)
        {
            throw new CliException($"demo: fetching the output of job {job.Id} failed: {e.Message}");
        }
        var probe = await Ffprobe.ProbeAsync(target, cancellationToken).ConfigureAwait(false);
        var streams = string.Join(", ", probe.Streams.Select(s => $"{s.CodecType} {s.CodecName}"));
        _console.Out.WriteLine($"$ ffprobe {Path.GetFileName(target)}: {probe.FormatName}; {streams}"
            + (probe.EffectiveDuration is { } duration ? $"; {duration.TotalSeconds:0.00} s" : ""));
        if (!probe.Streams.Any(s => s.CodecName == codec))
        {
            throw new CliException($"demo: ffprobe finds no {codec} stream in {target}: {probe.Error ?? streams}");
        }
        return probe;
    }

    private async Task KillMidEncodeAsync(string samples, CancellationToken cancellationToken)
    {
        var clip = Path.Combine(samples, "long.mp4");
        var made = await ChildProcess.RunAsync(new ChildProcessStart("ffmpeg",
            ["-f", "lavfi", "-i", $"testsrc2=size=320x240:rate=25:duration={SlowSeconds}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-y", "-loglevel", "error", clip]), cancellationToken).ConfigureAwait(false);
        if (made.ExitCode != 0)
        {
            throw new CliException($"demo: ffmpeg could not make the {SlowSeconds} s clip: {string.Join(" | ", made.ErrorTail)}");
        }
        _console.Out.WriteLine($"made long.mp4 with ffmpeg: {SlowSeconds} s of testsrc2 ({new FileInfo(clip).Length} bytes)");
        List<JobDto> jobs = [await SubmitAsync(clip, SlowProfile, null, cancellationToken).ConfigureAwait(false)];

        jobs = await FollowAsync(jobs, j => JobStates.IsFinished(j[0].State) || (j[0].State == JobStates.Running && j[0].Progress >= 0.2), cancellationToken)
            .ConfigureAwait(false);
        var running = jobs[0];
        if (running.State != JobStates.Running)
        {
            throw new CliException($"demo: the slow job {running.Id} is {running.State} before a worker could be killed: {running.Error}");
        }
        var victim = _workers.SingleOrDefault(w => w.Name == running.Worker)
            ?? throw new CliException($"demo: the slow job runs on '{running.Worker}', not on a worker of the demo");
        var other = _workers.Single(w => w != victim);
        // Noted before the kill: once the worker is dead, its ffmpeg belongs to init and is no longer found below it.
        var ffmpeg = ProcessMark.ChildrenOf(victim.Pid);
        if (ffmpeg.Count == 0)
        {
            throw new CliException($"demo: {victim.Name} (pid {victim.Pid}) reports progress but runs no process");
        }
        _console.Out.WriteLine($"{victim.Name} (pid {victim.Pid}) is encoding it, {running.Progress * 100:0} % done: {string.Join(", ", ffmpeg.Select(p => $"{p.Command ?? "?"} pid {p.Pid}"))}");
        await ShowOutputRefusedAsync(running.Id, cancellationToken).ConfigureAwait(false);

        _console.Out.WriteLine($"$ kill -9 {victim.Pid}");
        var killedAt = Stopwatch.GetTimestamp();
        _orphans.AddRange(ffmpeg);
        var exitCode = await victim.KillAloneAsync(cancellationToken).ConfigureAwait(false);
        if (exitCode != 128 + 9)
        {
            throw new CliException($"demo: {victim.Name} ended with exit code {exitCode}, not 137 (killed by signal 9)");
        }
        _console.Out.WriteLine($"{victim.Name} is gone (exit code 137: killed by signal 9); it told the broker nothing");
        await EndOrphansAsync(cancellationToken).ConfigureAwait(false);

        jobs = await FollowAsync(jobs, j => j[0].Attempts >= 1 || JobStates.IsFinished(j[0].State), cancellationToken, quietAtEnd: true).ConfigureAwait(false);
        var back = jobs[0];
        if (back.Attempts != 1 || back.Error is null || !back.Error.Contains(victim.Name, StringComparison.Ordinal))
        {
            throw new CliException($"demo: after the kill the job is {back.State} with attempts {back.Attempts} ({back.Error}), not back in the queue");
        }
        _console.Out.WriteLine($"{Stopwatch.GetElapsedTime(killedAt).TotalSeconds:0.0} s after the kill, with no renewal, the broker returned the job to the queue: "
            + $"attempts {back.Attempts}, error \"{back.Error}\"");
        // The other worker waits for work in a long poll, so it usually has the job again before anyone sees it queued.
        _console.Out.WriteLine(Describe(back));

        jobs = await FollowAsync(jobs, j => JobStates.IsFinished(j[0].State), cancellationToken).ConfigureAwait(false);
        EnsureSucceeded(jobs);
        var done = jobs[0];
        if (done.Worker != other.Name || done.Attempts != 1)
        {
            throw new CliException($"demo: the slow job finished on {done.Worker} with attempts {done.Attempts}, not on {other.Name} with 1");
        }
        _console.Out.WriteLine($"finished on {other.Name}, {Stopwatch.GetElapsedTime(killedAt).TotalSeconds:0.0} s after the kill; the lost run counts as one attempt");
        var probe = await FetchAndProbeAsync(done, "h264", cancellationToken).ConfigureAwait(false);
        if (probe.EffectiveDuration is not { } duration || Math.Abs(duration.TotalSeconds - SlowSeconds) > 1)
        {
            throw new CliException($"demo: the slow job's output lasts {probe.EffectiveDuration?.TotalSeconds} s, not {SlowSeconds} s");
        }
    }

    /// <summary>A running job's output route answers 409 <c>job-not-done</c>: no partial output is ever served.</summary>
    private async Task ShowOutputRefusedAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await Broker.Http.GetAsync(BrokerClient.OutputUri(id), cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        _console.Out.WriteLine($"$ curl {BrokerUrl}/{BrokerClient.OutputUri(id)}");
        _console.Out.WriteLine($"{(int)response.StatusCode} {body}");
        if (response.StatusCode != HttpStatusCode.Conflict || !body.Contains("job-not-done", StringComparison.Ordinal))
        {
            throw new CliException($"demo: the output of a running job answered {(int)response.StatusCode}, not 409 job-not-done");
        }
    }

    /// <summary>
    /// Ends what the killed worker left running: its ffmpeg runs in a session of its own (the worker starts it through
    /// setsid), so the worker's death does not reach it. Each is ended by its pid, checked against its start time.
    /// </summary>
    private async Task EndOrphansAsync(CancellationToken cancellationToken)
    {
        foreach (var orphan in _orphans)
        {
            _console.Out.WriteLine(orphan.IsAlive
                ? $"its ffmpeg (pid {orphan.Pid}) runs on in a session of its own; the demo ends it by its pid"
                : $"its ffmpeg (pid {orphan.Pid}) ended with it");
        }
        KillOrphans();
        var started = Stopwatch.GetTimestamp();
        while (_orphans.Where(o => o.IsAlive).ToList() is { Count: > 0 } alive)
        {
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(10))
            {
                throw new CliException($"demo: still running 10 s after the kill: {string.Join(", ", alive.Select(a => a.Pid))}");
            }
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
        _orphans.Clear();
        _console.Out.WriteLine("no process of the killed worker is left");
    }

    /// <summary>SIGKILL to each orphan that is still the process noted (a pid the kernel gave to another is left alone).</summary>
    private void KillOrphans()
    {
        foreach (var orphan in _orphans)
        {
            orphan.KillTree();
        }
    }

    private async Task IngestAsync(string samples, IReadOnlyDictionary<string, string> followers, CancellationToken cancellationToken)
    {
        const string path = "media/converted/tone.mp3";
        List<JobDto> jobs = [await SubmitAsync(Path.Combine(samples, "tone.wav"), "mp3", path, cancellationToken).ConfigureAwait(false)];
        jobs = await FollowAsync(jobs, j => JobStates.IsFinished(j[0].State) && j[0].Ingest?.State != "pending", cancellationToken).ConfigureAwait(false);
        EnsureSucceeded(jobs);
        var job = jobs[0];
        if (job.Ingest is not { State: "done", Version: { } version } ingest)
        {
            throw new CliException($"demo: the output of job {job.Id} did not land in the library: {job.Ingest?.State} ({job.Ingest?.Error})");
        }
        _console.Out.WriteLine($"job {job.Id}: ingest {{path: {ingest.Path}, state: {ingest.State}, version: {version}}}: the primary took it, digest-checked");
        using var http = new HttpClient();
        foreach (var (name, url) in followers)
        {
            var started = Stopwatch.GetTimestamp();
            _console.Out.WriteLine($"$ curl {url}/{NodeClient.FileUri(path)}   ({name})");
            while (true)
            {
                using var response = await http.GetAsync($"{url}/{NodeClient.FileUri(path)}", cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                    var digest = Convert.ToHexStringLower(SHA256.HashData(body));
                    if (digest != job.Output!.Sha256)
                    {
                        throw new CliException($"demo: {name} serves {path} with sha-256 {digest}, not the job's output {job.Output.Sha256}");
                    }
                    _console.Out.WriteLine($"200 OK after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms of waiting: {body.Length} bytes, "
                        + "the same SHA-256 as the job's output");
                    break;
                }
                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
                {
                    throw new CliException($"demo: {name} still answers {(int)response.StatusCode} for {path} after 30 s");
                }
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ListJobsAsync(CancellationToken cancellationToken)
    {
        var jobs = await Broker.ListJobsAsync(ClientId, null, cancellationToken).ConfigureAwait(false);
        _console.Out.WriteLine($"$ curl '{BrokerUrl}/v1/jobs?client={ClientId}'");
        foreach (var job in jobs.OrderBy(j => j.CreatedAt))
        {
            _console.Out.WriteLine($"  {job.Id}  {job.Profile,-13} {job.Name,-10} {job.State,-9} attempts {job.Attempts}  {job.Worker}"
                + (job.Ingest is { } ingest ? $"  ingest {ingest.State} v{ingest.Version}" : ""));
        }
        if (jobs.Count != 5 || jobs.Any(j => j.State != JobStates.Succeeded))
        {
            throw new CliException($"demo: the broker lists {jobs.Count} jobs of the demo, not 5 succeeded ones");
        }
    }

    /// <summary>Stops the workers (SIGTERM by their handles: they hand back what they run), then the broker; safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync().ConfigureAwait(false);
        }
        _workers.Clear();
        KillOrphans();
        _orphans.Clear();
        _client?.Http.Dispose();
        _client = null;
        if (_broker is { } broker)
        {
            _broker = null;
            await broker.StopAsync().ConfigureAwait(false);
            await broker.DisposeAsync().ConfigureAwait(false);
        }
    }
}
