using MediaFleet.Coordinator.Scores;

namespace MediaFleet.Coordinator.Tests.Scores;

/// <summary>
/// DESIGN.md section 9 written straight from its formulas, slow and obvious, to check PreservationScorer against.
/// "Within a TTL" is an age strictly below it, as the scorer documents.
/// </summary>
internal static class NaiveScorer
{
    public sealed record Result(
        double Collection,
        Dictionary<string, double> Servers,
        Dictionary<string, double> Sites,
        double[] Files,
        List<(int File, string[] HeldAt, string[] CouldTake)> Shortfalls);

    public static Result Score(ScoringInput input, ScoreSettings settings, DateTimeOffset now)
    {
        var m = settings.MaxScore;
        var d = settings.MinGeoDup;
        var nodes = input.Nodes.ToList();
        var files = Enumerable.Range(0, input.Files.Count).ToList();
        var sites = nodes.Select(n => n.Site).Distinct().ToList();

        bool Live(CopyColumn n) => now - n.LastHeard < settings.ServerTtl;
        double CopyScore(int f, CopyColumn n)
        {
            var copy = n.Copies[f];
            if (!Live(n) || copy.Health != CopyHealth.Ok)
            {
                return 0;
            }
            return copy.VerifiedAt is { } at && now - at < settings.CheckTtl ? m : m / 2;
        }
        double SiteScore(int f, string s) => Math.Min(nodes.Where(n => n.Site == s).Sum(n => CopyScore(f, n)), m);
        double FileScore(int f) => Math.Min(sites.Sum(s => SiteScore(f, s)) / d, m);

        var scores = files.Select(FileScore).ToArray();
        var servers = nodes.ToDictionary(n => n.NodeId, n => files.Count == 0 ? m : files.Min(f => CopyScore(f, n)));
        var siteScores = sites.ToDictionary(s => s, s => files.Count == 0 ? m : files.Min(f => SiteScore(f, s)));
        var counted = files
            .Where(f => !(scores[f] < m / 2 && now - input.Files.IngestedAt[f] < settings.UploadTtl))
            .Select(f => scores[f])
            .ToList();
        var collection = counted.Count == 0 ? m : counted.Min();
        var shortfalls = files
            .Select(f => (File: f, HeldAt: sites.Where(s => SiteScore(f, s) > 0).ToArray()))
            .Where(x => scores[x.File] < settings.RepairThreshold && x.HeldAt.Length < d)
            .OrderBy(x => scores[x.File]).ThenBy(x => x.File)
            .Select(x => (x.File, x.HeldAt,
                sites.Where(s => !x.HeldAt.Contains(s) && nodes.Any(n => n.Site == s && Live(n))).ToArray()))
            .ToList();
        return new Result(collection, servers, siteScores, scores, shortfalls);
    }

    public static int[] FilesBelow(double[] scores, double threshold) =>
        [.. Enumerable.Range(0, scores.Length).Where(f => scores[f] < threshold).OrderBy(f => scores[f]).ThenBy(f => f)];
}
