using System.Diagnostics;
using System.Globalization;
using MediaFleet.Coordinator.Scores;

namespace MediaFleet.Bench.ScoreBench;

/// <summary>
/// Times <see cref="PreservationScorer.Score"/> on a synthetic collection: one warm-up, then the median of
/// <c>--runs</c> timed runs (Stopwatch), with the bytes each run allocated on this thread. The last line,
/// <c>scorebench key=value …</c>, is for bench/score.sh.
/// </summary>
internal static class Program
{
    private const string Usage = "usage: ScoreBench [--files N (1000000)] [--runs N (5)] [--seed N (42)]";

    // A fixed instant: the input is made relative to it, and the scorer reads no clock.
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 17, 0, 0, TimeSpan.Zero);

    public static int Main(string[] args)
    {
        if (!TryParse(args, out var fileCount, out var runs, out var seed))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var settings = ScoreSettings.Default;
        var built = Stopwatch.StartNew();
        var input = SyntheticCollection.Build(fileCount, Now, seed);
        Console.Error.WriteLine(Invariant($"built {fileCount:N0} files x {input.Nodes.Length} nodes x {input.Sites.Length} sites in {built.Elapsed.TotalSeconds:F1} s"));

        var report = PreservationScorer.Score(input, settings, Now);
        var seconds = new double[runs];
        var allocated = new long[runs];
        for (var run = 0; run < runs; run++)
        {
            // Garbage from the build or an earlier run must not be collected inside a measurement.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            report = PreservationScorer.Score(input, settings, Now);
            seconds[run] = Stopwatch.GetElapsedTime(started).TotalSeconds;
            allocated[run] = GC.GetAllocatedBytesForCurrentThread() - before;
            Console.Error.WriteLine(Invariant($"run {run + 1}: {seconds[run]:F4} s, {allocated[run]:N0} bytes allocated"));
        }

        var listed = Stopwatch.GetTimestamp();
        var toRepair = report.FilesToRepair();
        var listSeconds = Stopwatch.GetElapsedTime(listed).TotalSeconds;
        var label = ScoreLabels.Of(report.Collection, settings.MaxScore).Text();
        Console.Error.WriteLine(Invariant(
            $"collection {report.Collection} ({label}), {report.FreshLeftOut:N0} fresh files left out; servers {string.Join(", ", report.Servers.Select(s => $"{s.Key} {s.Value}"))}"));
        Console.Error.WriteLine(Invariant(
            $"{toRepair.Count:N0} files below RepairBelow ({settings.RepairThreshold}) listed worst first in {listSeconds:F3} s; {report.Shortfalls.Count:N0} held at fewer than {settings.MinGeoDup} sites"));

        var sorted = seconds.Order().ToArray();
        var median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
        Console.WriteLine(Invariant(
            $"scorebench files={fileCount} nodes={input.Nodes.Length} sites={input.Sites.Length} runs={runs} median_s={median:F4} samples_s={string.Join(',', seconds.Select(s => s.ToString("F4", CultureInfo.InvariantCulture)))} alloc_bytes={allocated.Max()} collection={report.Collection} label={label.Replace(' ', '_')} to_repair={toRepair.Count} shortfalls={report.Shortfalls.Count} list_s={listSeconds:F4}"));
        return 0;
    }

    private static bool TryParse(string[] args, out int fileCount, out int runs, out int seed)
    {
        (fileCount, runs, seed) = (1_000_000, 5, 42);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }
            switch (args[i])
            {
                case "--files": fileCount = value; break;
                case "--runs" when value > 0: runs = value; break;
                case "--seed": seed = value; break;
                default: return false;
            }
        }
        return true;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
