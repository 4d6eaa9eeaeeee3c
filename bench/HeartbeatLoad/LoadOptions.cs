using System.Globalization;

namespace MediaFleet.Bench.HeartbeatLoad;

/// <summary>The generator's settings, parsed once from the command line.</summary>
internal sealed record LoadOptions
{
    public const string Usage = """
        usage: HeartbeatLoad --url http://127.0.0.1:PORT [options]
          --url URL            the coordinator; heartbeats go to URL/v1/heartbeats
          --nodes N            simulated nodes (default 1000); node 1 is the primary
          --interval S         seconds between two heartbeats of one node (default 2)
          --warmup S           seconds of load before the measured phase, not counted (default 0)
          --duration S         seconds of the measured steady phase (default 30)
          --burst N            after the steady phase, set force_down on nodes 2..N+1 and keep it (default 0: no burst)
          --burst-spread S     the burst's N heartbeats go out within S seconds (default 0.2)
          --hold S             seconds of load after the burst (default 3 x interval)
          --token T            bearer token (default: env MFLEET_TOKEN)
          --first-port P       node i has address 127.0.0.1:(P+i-1) (default 20001)
          --connections N      concurrent requests and pooled connections (default 64)
          --version V          version and seen_version of every node (default 5)
        Output: phase lines ("phase measure start", "phase burst sent", ...) as they happen, a summary, and a
        last line "hbload key=value ..." for scripts.
        """;

    public required Uri Url { get; init; }
    public int Nodes { get; init; } = 1000;
    public double Interval { get; init; } = 2;
    public double Warmup { get; init; }
    public double Duration { get; init; } = 30;
    public int Burst { get; init; }
    public double BurstSpread { get; init; } = 0.2;
    // Long enough for a debounced reload to happen while every node still reports.
    public double? Hold { get; init; }
    public string? Token { get; init; }
    public int FirstPort { get; init; } = 20001;
    public int Connections { get; init; } = 64;
    public long Version { get; init; } = 5;

    public double HoldSeconds => Burst > 0 ? Hold ?? 3 * Interval : 0;

    /// <summary>Parses <paramref name="args"/>; on failure returns null and sets <paramref name="error"/>.</summary>
    public static LoadOptions? TryParse(IReadOnlyList<string> args, out string? error)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                error = $"unexpected argument '{args[i]}'";
                return null;
            }
            values[args[i][2..]] = args[++i];
        }

        var known = new[] { "url", "nodes", "interval", "warmup", "duration", "burst", "burst-spread", "hold", "token", "first-port", "connections", "version" };
        var unknown = values.Keys.FirstOrDefault(k => !known.Contains(k));
        if (unknown is not null)
        {
            error = $"unknown option --{unknown}";
            return null;
        }
        if (!values.TryGetValue("url", out var url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            error = "--url with an absolute URL is required";
            return null;
        }

        error = null;
        var options = new LoadOptions
        {
            Url = uri,
            Nodes = Int(values, "nodes", 1000, 1, 1_000_000, ref error),
            Interval = Seconds(values, "interval", 2, ref error),
            Warmup = Seconds(values, "warmup", 0, ref error, allowZero: true),
            Duration = Seconds(values, "duration", 30, ref error),
            Burst = Int(values, "burst", 0, 0, 1_000_000, ref error),
            BurstSpread = Seconds(values, "burst-spread", 0.2, ref error, allowZero: true),
            Hold = values.ContainsKey("hold") ? Seconds(values, "hold", 0, ref error, allowZero: true) : null,
            Token = values.GetValueOrDefault("token") ?? Environment.GetEnvironmentVariable("MFLEET_TOKEN"),
            FirstPort = Int(values, "first-port", 20001, 1, 65535, ref error),
            Connections = Int(values, "connections", 64, 1, 10_000, ref error),
            Version = Int(values, "version", 5, 0, int.MaxValue, ref error),
        };
        if (error is null && options.Burst > options.Nodes - 1)
        {
            error = $"--burst {options.Burst} needs at least {options.Burst + 1} nodes (node 1 is the primary and never flipped)";
        }
        if (error is null && options.FirstPort + options.Nodes - 1 > 65535)
        {
            error = "--first-port + --nodes runs past port 65535";
        }
        return error is null ? options : null;
    }

    private static int Int(Dictionary<string, string> values, string name, int fallback, int min, int max, ref string? error)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return fallback;
        }
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }
        error ??= $"--{name} must be a whole number from {min} to {max}, not '{text}'";
        return fallback;
    }

    private static double Seconds(Dictionary<string, string> values, string name, double fallback, ref string? error, bool allowZero = false)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return fallback;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value) && (value > 0 || (allowZero && value == 0)))
        {
            return value;
        }
        error ??= $"--{name} must be a number of seconds{(allowZero ? " (0 or more)" : " above 0")}, not '{text}'";
        return fallback;
    }
}
