// Stand-in until Ffmpeg/ (h/ffmpeg) lands: the process runner and the progress parser replace the inside of this class.
using System.Diagnostics;
using System.Globalization;

namespace MediaFleet.Conversion.Worker;

/// <summary>How an ffmpeg run ended: its exit code and its last stderr lines.</summary>
internal sealed record FfmpegResult(int ExitCode, IReadOnlyList<string> StderrTail);

internal static class FfmpegRun
{
    /// <summary>
    /// Runs ffmpeg to its end, calling <paramref name="progress"/> with the fraction done and the seconds left; cancelling
    /// kills it (and anything it started) at once.
    /// </summary>
    public static async Task<FfmpegResult> RunAsync(
        string ffmpeg, IReadOnlyList<string> arguments, double? inputSeconds, Action<double, double?> progress, int stderrLines, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(ffmpeg) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = false, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new IOException($"could not start {ffmpeg}");
        var tail = new Queue<string>();
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                lock (tail)
                {
                    tail.Enqueue(line);
                    if (tail.Count > stderrLines)
                    {
                        tail.Dequeue();
                    }
                }
            }
        }, CancellationToken.None);
        using var kill = cancellationToken.Register(() =>
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        });
        double outSeconds = 0, speed = 0;
        while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }
            var (key, value) = (line[..eq], line[(eq + 1)..].Trim());
            if (key == "out_time_us" && long.TryParse(value, CultureInfo.InvariantCulture, out var us))
            {
                outSeconds = us / 1e6;
            }
            else if (key == "speed" && double.TryParse(value.TrimEnd('x'), CultureInfo.InvariantCulture, out var s))
            {
                speed = s;
            }
            else if (key == "progress" && inputSeconds is > 0 and var total)
            {
                var fraction = value == "end" ? 1 : Math.Clamp(outSeconds / total, 0, 1);
                progress(fraction, speed > 0 ? Math.Max(0, (total - outSeconds) / speed) : null);
            }
        }
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await stderr.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        lock (tail)
        {
            return new FfmpegResult(process.ExitCode, [.. tail]);
        }
    }
}
