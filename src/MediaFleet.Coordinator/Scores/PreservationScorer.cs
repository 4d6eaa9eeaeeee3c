using System.Collections.Immutable;
using System.Numerics;
using System.Runtime.InteropServices;

namespace MediaFleet.Coordinator.Scores;

/// <summary>
/// The preservation score of DESIGN.md section 9, in one pass over the files: a file's score, the nodes' and the
/// sites' minimums and the collection's minimum together. Pure: <c>now</c> is a parameter.
/// </summary>
internal static class PreservationScorer
{
    /// <summary>
    /// Scores every file, node and the collection at <paramref name="now"/>. Each "within a TTL" is an age strictly
    /// below it: a node heard exactly ServerTtl ago is silent, a copy verified exactly CheckTtl ago is unverified and
    /// a file ingested exactly UploadTtl ago is no longer fresh (as the state rules and the scrubber judge ages).
    /// </summary>
    public static ScoreReport Score(ScoringInput input, ScoreSettings settings, DateTimeOffset now)
    {
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(settings));
        }
        var max = settings.MaxScore;
        var half = max / 2;
        var minSites = settings.MinGeoDup;
        var repairBelow = settings.RepairThreshold;
        var files = input.Files;

        // A silent node adds 0 to every file, so only live nodes enter the loop.
        var live = new List<int>();
        ulong liveSites = 0;
        for (var n = 0; n < input.Nodes.Length; n++)
        {
            if (now - input.Nodes[n].LastHeard < settings.ServerTtl)
            {
                live.Add(n);
                liveSites |= 1UL << input.SiteOf(n);
            }
        }
        var columns = new CopyState[live.Count][];
        var siteOfColumn = new int[live.Count];
        var columnMin = new double[live.Count];
        for (var k = 0; k < live.Count; k++)
        {
            columns[k] = ImmutableCollectionsMarshal.AsArray(input.Nodes[live[k]].Copies)!;
            siteOfColumn[k] = input.SiteOf(live[k]);
            columnMin[k] = max;
        }

        // Verified within CheckTtl <=> verified-at ticks above this; never verified is 0 ticks, so never above it.
        var verifiedAfter = Math.Max(now.UtcTicks - settings.CheckTtl.Ticks, 0);
        Span<double> siteSums = stackalloc double[input.Sites.Length];
        var siteMin = new double[input.Sites.Length];
        Array.Fill(siteMin, max);
        var scores = new double[files.Count];
        var collection = max;
        var freshLeftOut = 0;
        var shortfalls = new List<(int File, ulong HeldAt)>();
        for (var f = 0; f < scores.Length; f++)
        {
            siteSums.Clear();
            for (var k = 0; k < columns.Length; k++)
            {
                var copy = columns[k][f];
                var copyScore = copy.Health != CopyHealth.Ok ? 0 : copy.VerifiedAtTicks > verifiedAfter ? max : half;
                if (copyScore < columnMin[k])
                {
                    columnMin[k] = copyScore;
                }
                siteSums[siteOfColumn[k]] += copyScore;
            }
            var sum = 0.0;
            ulong heldAt = 0;
            for (var s = 0; s < siteSums.Length; s++)
            {
                var siteScore = Math.Min(siteSums[s], max);
                if (siteScore < siteMin[s])
                {
                    siteMin[s] = siteScore;
                }
                if (siteScore > 0)
                {
                    sum += siteScore;
                    heldAt |= 1UL << s;
                }
            }
            var score = Math.Min(sum / minSites, max);
            scores[f] = score;
            if (score < half && now - files.IngestedAt[f] < settings.UploadTtl)
            {
                freshLeftOut++;
            }
            else if (score < collection)
            {
                collection = score;
            }
            if (score < repairBelow && BitOperations.PopCount(heldAt) < minSites)
            {
                shortfalls.Add((f, heldAt));
            }
        }

        var servers = new Dictionary<string, double>(input.Nodes.Length, StringComparer.Ordinal);
        foreach (var node in input.Nodes)
        {
            // The minimum over no files is M, as the collection's is; over files, a silent node's copies all count 0.
            servers[node.NodeId] = files.Count == 0 ? max : 0;
        }
        for (var k = 0; k < live.Count; k++)
        {
            servers[input.Nodes[live[k]].NodeId] = columnMin[k];
        }
        var siteScores = new Dictionary<string, double>(input.Sites.Length, StringComparer.Ordinal);
        for (var s = 0; s < input.Sites.Length; s++)
        {
            siteScores[input.Sites[s]] = siteMin[s];
        }
        return new ScoreReport(files, scores, collection, freshLeftOut, servers,
            Describe(shortfalls, scores, input, liveSites), repairBelow) { Sites = siteScores };
    }

    private static List<SiteShortfall> Describe(List<(int File, ulong HeldAt)> shortfalls, double[] scores, ScoringInput input, ulong liveSites)
    {
        // Few distinct site sets occur, so their name lists are shared rather than built per file.
        var names = new Dictionary<ulong, ImmutableArray<string>>();
        ImmutableArray<string> NamesOf(ulong sites)
        {
            if (!names.TryGetValue(sites, out var list))
            {
                var builder = ImmutableArray.CreateBuilder<string>(BitOperations.PopCount(sites));
                for (var s = 0; s < input.Sites.Length; s++)
                {
                    if ((sites & (1UL << s)) != 0)
                    {
                        builder.Add(input.Sites[s]);
                    }
                }
                list = builder.MoveToImmutable();
                names.Add(sites, list);
            }
            return list;
        }

        var described = new List<SiteShortfall>(shortfalls.Count);
        foreach (var (file, heldAt) in shortfalls)
        {
            described.Add(new SiteShortfall(file, input.Files.Paths[file], scores[file], NamesOf(heldAt), NamesOf(liveSites & ~heldAt)));
        }
        described.Sort(static (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : a.Index.CompareTo(b.Index));
        return described;
    }
}
