using MediaFleet.Coordinator.Scores;
using static MediaFleet.Coordinator.Tests.Scores.ScoreInputs;

namespace MediaFleet.Coordinator.Tests.Scores;

/// <summary>The fast scorer agrees with <see cref="NaiveScorer"/> on random small clusters, ages drawn near every TTL.</summary>
public sealed class ScorePropertyTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public void Score_RandomInputs_EqualsTheNaiveReference()
    {
        var random = new Random(20261123);
        for (var run = 0; run < 200; run++)
        {
            var settings = RandomSettings(random);
            var input = RandomInput(random, settings);

            var fast = PreservationScorer.Score(input, settings, Now);
            var naive = NaiveScorer.Score(input, settings, Now);

            var context = $"run {run}, {input.Files.Count} files, {input.Nodes.Length} nodes, {settings}";
            // Every score is a sum of multiples of M/2 divided once by d, the same operations in the same order: exact.
            Assert.True(naive.Files.SequenceEqual(fast.FileScores.ToArray()), context);
            Assert.True(naive.Collection == fast.Collection, context);
            Assert.True(naive.Servers.Count == fast.Servers.Count && naive.Servers.All(s => fast.Servers[s.Key] == s.Value), context);
            Assert.True(naive.Sites.Count == fast.Sites.Count && naive.Sites.All(s => fast.Sites[s.Key] == s.Value), context);
            Assert.True(
                naive.Shortfalls.Select(s => (s.File, string.Join(',', s.HeldAt), string.Join(',', s.CouldTake)))
                    .SequenceEqual(fast.Shortfalls.Select(s => (s.Index, string.Join(',', s.HeldAt), string.Join(',', s.CouldTake)))),
                context);
            var threshold = random.Next(0, 2 * (int)settings.MaxScore + 3) / 2.0;
            Assert.True(NaiveScorer.FilesBelow(naive.Files, threshold).SequenceEqual(fast.FilesBelow(threshold).Select(f => f.Index)), context);
        }
    }

    private static ScoreSettings RandomSettings(Random random) => ScoreSettings.Default with
    {
        MaxScore = Pick(random, 10.0, 4.0, 1.0),
        MinGeoDup = random.Next(1, 4),
        RepairBelow = Pick<double?>(random, null, 5.0, 2.5, 0.0),
    };

    private static ScoringInput RandomInput(Random random, ScoreSettings settings)
    {
        // Often one or two files, so that the collection's minimum is some single file's edge case.
        var fileCount = random.Next(3) switch { 0 => 1, 1 => 2, _ => random.Next(0, 13) };
        var ingested = Enumerable.Range(0, fileCount).Select(_ => Now - Pick(random,
            settings.UploadTtl, settings.UploadTtl - Tick, TimeSpan.FromHours(random.Next(0, 48)), TimeSpan.FromDays(400))).ToArray();
        var sites = new[] { "home", "office", "cloud", "" };
        var nodes = Enumerable.Range(0, random.Next(0, 7)).Select(n => new CopyColumn(
            $"n{n}",
            Pick(random, sites),
            Now - Pick(random, TimeSpan.Zero, settings.ServerTtl - Tick, settings.ServerTtl, TimeSpan.FromMinutes(random.Next(0, 20))),
            [.. Enumerable.Range(0, fileCount).Select(_ => RandomCopy(random, settings))]));
        return new ScoringInput(Files(ingested), nodes);
    }

    private static CopyState RandomCopy(Random random, ScoreSettings settings) => random.Next(6) switch
    {
        0 => CopyState.Absent,
        1 => CopyState.Corrupt,
        2 => CopyState.OtherDigest,
        3 => CopyState.Ok(null),
        _ => CopyState.Ok(Now - Pick(random,
            settings.CheckTtl, settings.CheckTtl - Tick, TimeSpan.FromDays(random.Next(0, 60)), TimeSpan.FromMinutes(-5))),
    };

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];
}
