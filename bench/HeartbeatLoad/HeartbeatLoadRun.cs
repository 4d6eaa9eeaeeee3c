using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;

namespace MediaFleet.Bench.HeartbeatLoad;

/// <summary>The phases of a run, in order; every heartbeat is counted in the phase it was due in.</summary>
internal enum Phase { Warmup, Measure, Burst, Hold }

/// <summary>
/// Sends the heartbeats of <see cref="LoadOptions.Nodes"/> simulated nodes: node i (0-based) at
/// i/N x interval past each interval's start, so the load is even, through a fixed number of workers sharing
/// one pooled <see cref="HttpClient"/>. A scheduler hands due heartbeats to the workers; when the server falls
/// behind, the queue grows and shows as lag (time from due to sent), not as a slower offered rate.
/// </summary>
internal sealed class HeartbeatLoadRun(LoadOptions options, HttpClient client, TextWriter output, TextWriter errors, TimeProvider time)
{
    private const int ErrorsShown = 5;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly Uri _target = new(options.Url, "/v1/heartbeats");
    private readonly Dictionary<Phase, PhaseStats> _stats = Enum.GetValues<Phase>().ToDictionary(p => p, _ => new PhaseStats());
    private readonly bool[] _forceDown = new bool[options.Nodes];
    private readonly TaskCompletionSource _burstAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _start;
    private int _burstDone;
    private int _errorsShown;

    public PhaseStats Stats(Phase phase) => _stats[phase];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = Channel.CreateUnbounded<(int Node, Phase Phase, double DueSeconds)>(new UnboundedChannelOptions { SingleWriter = true });
        _start = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, options.Connections).Select(_ => WorkAsync(queue.Reader, cancellationToken)).ToList();
        var burstReport = options.Burst > 0 ? ReportBurstAsync(cancellationToken) : Task.CompletedTask;
        try
        {
            await ScheduleAsync(queue.Writer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine("phase interrupted");
        }
        finally
        {
            queue.Writer.Complete();
            await Task.WhenAll(workers).ConfigureAwait(false);
            _burstAnswered.TrySetResult();
            await burstReport.ConfigureAwait(false);
        }
    }

    private double Now => Stopwatch.GetElapsedTime(_start).TotalSeconds;

    /// <summary>Merges three timelines in order: the regular heartbeats, the burst's extra ones and the phase markers.</summary>
    private async Task ScheduleAsync(ChannelWriter<(int, Phase, double)> queue, CancellationToken cancellationToken)
    {
        var measureStart = options.Warmup;
        var measureEnd = measureStart + options.Duration;
        var end = measureEnd + options.HoldSeconds;
        var markers = new List<(double At, string Text, Action? Then)>();
        if (options.Warmup > 0)
        {
            markers.Add((0, "phase warmup start", null));
        }
        markers.Add((measureStart, "phase measure start", null));
        markers.Add((measureEnd, "phase measure end", null));
        if (options.Burst > 0)
        {
            markers.Add((measureEnd, $"phase burst start nodes=2..{options.Burst + 1}", FlipBurstNodes));
        }
        markers.Add((end, "phase end", null));

        long slot = 0;
        var burstSent = 0;
        var marker = 0;
        while (marker < markers.Count)
        {
            var slotDue = slot * options.Interval / options.Nodes;
            var burstDue = burstSent < options.Burst ? measureEnd + burstSent * options.BurstSpread / options.Burst : double.PositiveInfinity;
            var markerDue = markers[marker].At;
            var next = Math.Min(Math.Min(slotDue < end ? slotDue : double.PositiveInfinity, burstDue), markerDue);
            var wait = next - Now;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(wait, 0.001)), time, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (markerDue <= next)
            {
                output.WriteLine(markers[marker].Text);
                markers[marker].Then?.Invoke();
                marker++;
            }
            else if (burstDue <= next)
            {
                queue.TryWrite((1 + burstSent, Phase.Burst, burstDue));
                burstSent++;
            }
            else
            {
                var phase = slotDue < measureStart ? Phase.Warmup : slotDue < measureEnd ? Phase.Measure : Phase.Hold;
                queue.TryWrite(((int)(slot % options.Nodes), phase, slotDue));
                slot++;
            }
        }
    }

    // Nodes 2..burst+1 (indexes 1..burst): node 1 stays the primary, so every other node keeps its state rule.
    private void FlipBurstNodes()
    {
        for (var i = 1; i <= options.Burst; i++)
        {
            Volatile.Write(ref _forceDown[i], true);
        }
    }

    private async Task WorkAsync(ChannelReader<(int Node, Phase Phase, double DueSeconds)> queue, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (node, phase, due) in queue.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var started = Stopwatch.GetTimestamp();
                var lagMs = (Stopwatch.GetElapsedTime(_start, started).TotalSeconds - due) * 1000;
                var handled = await SendAsync(node, cancellationToken).ConfigureAwait(false);
                _stats[phase].Record(started, Stopwatch.GetTimestamp(), Math.Max(lagMs, 0), handled);
                if (phase == Phase.Burst && Interlocked.Increment(ref _burstDone) == options.Burst)
                {
                    _burstAnswered.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted: the summary reports what was answered so far.
        }
    }

    private async Task<bool> SendAsync(int node, CancellationToken cancellationToken)
    {
        var port = options.FirstPort + node;
        var body = new HeartbeatBody(
            Id: string.Create(CultureInfo.InvariantCulture, $"n{node + 1:D4}"),
            Address: string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"),
            Url: string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"),
            Load: 0.1,
            Version: options.Version,
            SeenVersion: options.Version,
            Primary: node == 0,
            ForceDown: Volatile.Read(ref _forceDown[node]),
            ForceBackup: false,
            Site: "home",
            Missing: 0,
            FreeBytes: 1_000_000_000,
            SentAt: time.GetUtcNow().UtcDateTime);
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, HeartbeatJson.Default.HeartbeatBody));
        content.Headers.ContentType = Json;
        try
        {
            using var response = await client.PostAsync(_target, content, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            ShowError($"HTTP {(int)response.StatusCode} {text}");
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            ShowError(e.Message);
            return false;
        }
    }

    private void ShowError(string message)
    {
        if (Interlocked.Increment(ref _errorsShown) <= ErrorsShown)
        {
            errors.WriteLine($"heartbeat error: {(message.Length > 300 ? message[..300] : message)}");
        }
    }

    private async Task ReportBurstAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _burstAnswered.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        var burst = _stats[Phase.Burst];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"phase burst sent handled={burst.Handled} errors={burst.Errors} span_ms={burst.SpanMs:F0}"));
    }
}
