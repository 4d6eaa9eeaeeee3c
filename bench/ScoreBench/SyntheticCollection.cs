using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using MediaFleet.Coordinator.Scores;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;

namespace MediaFleet.Bench.ScoreBench;

/// <summary>
/// A made-up collection to score: five nodes at three sites (home a, b; office c, d; cloud e), node d silent
/// for an hour, files ingested over three years with the newest ones still replicating, and per copy the
/// mix a scrubbed cluster might show. Seeded, so every run scores the same input.
/// </summary>
internal static class SyntheticCollection
{
    private static readonly (string Id, string Site)[] Layout =
        [("a", "home"), ("b", "home"), ("c", "office"), ("d", "office"), ("e", "cloud")];

    private const string SilentNode = "d";

    /// <summary>The last files, ingested in the last 12 hours; most nodes do not have them yet.</summary>
    private const int FreshFiles = 2_000;

    public static ScoringInput Build(int fileCount, DateTimeOffset now, int seed)
    {
        var random = new Random(seed);
        var paths = new LibraryPath[fileCount];
        var digests = new Sha256Digest[fileCount];
        var ingestedAt = new DateTimeOffset[fileCount];
        Span<byte> digest = stackalloc byte[32];
        for (var f = 0; f < fileCount; f++)
        {
            paths[f] = LibraryPath.Parse(string.Create(CultureInfo.InvariantCulture, $"Library/{f / 1000:D4}/clip-{f:D7}.mkv"));
            random.NextBytes(digest);
            BinaryPrimitives.WriteInt32LittleEndian(digest, f);
            digests[f] = Sha256Digest.FromBytes(digest);
            ingestedAt[f] = f >= fileCount - FreshFiles
                ? now - TimeSpan.FromMinutes(random.Next(1, 12 * 60))
                : now - TimeSpan.FromMinutes(random.Next(24 * 60, 3 * 365 * 24 * 60));
        }
        var files = new FileTable([.. paths], [.. digests], [.. ingestedAt]);

        var columns = new List<CopyColumn>();
        foreach (var (id, site) in Layout)
        {
            var copies = new CopyState[fileCount];
            for (var f = 0; f < fileCount; f++)
            {
                // A fresh file is on the primary (a) and, for a third of them, already on one more node.
                var fresh = f >= fileCount - FreshFiles;
                copies[f] = fresh && id != "a" && random.Next(3) != 0 ? CopyState.Absent : RandomCopy(random, now);
            }
            var lastHeard = id == SilentNode ? now.AddHours(-1) : now.AddSeconds(-random.Next(0, 3));
            columns.Add(new CopyColumn(id, site, lastHeard, [.. copies]));
        }
        return new ScoringInput(files, columns);
    }

    // Per mille: 930 verified within 30 days, 30 verified 31-90 days ago, 20 never verified, 10 absent, 5 corrupt,
    // 5 another digest.
    private static CopyState RandomCopy(Random random, DateTimeOffset now) => random.Next(1000) switch
    {
        < 930 => CopyState.Ok(now - TimeSpan.FromMinutes(random.Next(0, 30 * 24 * 60))),
        < 960 => CopyState.Ok(now - TimeSpan.FromDays(random.Next(31, 91))),
        < 980 => CopyState.Ok(null),
        < 990 => CopyState.Absent,
        < 995 => CopyState.Corrupt,
        _ => CopyState.OtherDigest,
    };
}
