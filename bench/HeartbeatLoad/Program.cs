using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;

namespace MediaFleet.Bench.HeartbeatLoad;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            await Console.Out.WriteLineAsync(LoadOptions.Usage).ConfigureAwait(false);
            return 0;
        }
        var options = LoadOptions.TryParse(args, out var error);
        if (options is null)
        {
            await Console.Error.WriteLineAsync($"HeartbeatLoad: {error}\n{LoadOptions.Usage}").ConfigureAwait(false);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // Loopback only: an http_proxy in the environment must not see the benchmark's traffic.
            UseProxy = false,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        if (!string.IsNullOrEmpty(options.Token))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        }
        client.DefaultRequestVersion = HttpVersion.Version11;

        var run = new HeartbeatLoadRun(options, client, Console.Out, Console.Error, TimeProvider.System);
        await Console.Out.WriteLineAsync(Invariant(
            $"hbload: {options.Nodes} nodes every {options.Interval} s to {options.Url} ({options.Connections} connections); warm-up {options.Warmup} s, measured {options.Duration} s, burst {options.Burst}, hold {options.HoldSeconds} s"))
            .ConfigureAwait(false);
        await run.RunAsync(cancel.Token).ConfigureAwait(false);

        var steady = run.Stats(Phase.Measure);
        var warmup = run.Stats(Phase.Warmup);
        var burst = run.Stats(Phase.Burst);
        var hold = run.Stats(Phase.Hold);
        var offered = options.Nodes / options.Interval;
        var handledPerSecond = steady.Handled / options.Duration;
        var lines = new List<string>
        {
            Invariant($"warm-up: {warmup.Sent} heartbeats, {warmup.Handled} handled, {warmup.Errors} errors"),
            Invariant($"steady: {steady.Sent} heartbeats in {options.Duration} s ({offered:F1}/s offered), {steady.Handled} handled ({handledPerSecond:F1}/s), {steady.Errors} errors, latency p50 {steady.LatencyMs(0.5):F2} ms p99 {steady.LatencyMs(0.99):F2} ms max {steady.LatencyMs(1):F2} ms, sent at most {steady.MaxLagMs:F1} ms late"),
        };
        if (options.Burst > 0)
        {
            lines.Add(Invariant($"burst: {burst.Sent} force_down heartbeats, {burst.Handled} handled, {burst.Errors} errors, first sent to last answered {burst.SpanMs:F0} ms"));
            lines.Add(Invariant($"hold: {hold.Sent} heartbeats, {hold.Handled} handled, {hold.Errors} errors"));
        }
        lines.Add(Invariant(
            $"hbload nodes={options.Nodes} interval={options.Interval} duration={options.Duration} sent={steady.Sent} handled={steady.Handled} errors={steady.Errors} hb_per_s={handledPerSecond:F1} p50_ms={steady.LatencyMs(0.5):F2} p99_ms={steady.LatencyMs(0.99):F2} max_lag_ms={steady.MaxLagMs:F1} warmup_errors={warmup.Errors} burst={options.Burst} burst_handled={burst.Handled} burst_errors={burst.Errors} burst_span_ms={burst.SpanMs:F0} hold_errors={hold.Errors} interrupted={(cancel.IsCancellationRequested ? 1 : 0)}"));
        foreach (var line in lines)
        {
            await Console.Out.WriteLineAsync(line).ConfigureAwait(false);
        }
        return steady.Handled > 0 && !cancel.IsCancellationRequested ? 0 : 1;

        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            cancel.Cancel();
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
