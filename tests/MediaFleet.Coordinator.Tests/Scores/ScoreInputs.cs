using System.Globalization;
using MediaFleet.Coordinator.Scores;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;

namespace MediaFleet.Coordinator.Tests.Scores;

/// <summary>Builds scoring inputs for tests, with a short notation for one file's copies.</summary>
internal static class ScoreInputs
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 17, 0, 0, TimeSpan.Zero);

    /// <summary>Long enough ago to be neither fresh nor anything near a TTL.</summary>
    public static readonly DateTimeOffset LongAgo = Now.AddYears(-1);

    public static CopyState Verified { get; } = CopyState.Ok(Now.AddDays(-1));

    public static CopyState Unverified { get; } = CopyState.Ok(null);

    public static FileTable Files(params DateTimeOffset[] ingestedAt) => new(
        [.. ingestedAt.Select((_, i) => LibraryPath.Parse($"Movies/f{i}.mkv"))],
        [.. ingestedAt.Select((_, i) => DigestOf(i))],
        [.. ingestedAt]);

    public static FileTable Files(int count) => Files(Enumerable.Repeat(LongAgo, count).ToArray());

    public static CopyColumn Column(string id, string site, params CopyState[] copies) => new(id, site, Now, [.. copies]);

    public static CopyColumn Heard(this CopyColumn node, DateTimeOffset lastHeard) => node with { LastHeard = lastHeard };

    public static Sha256Digest DigestOf(int file)
    {
        var bytes = new byte[32];
        BitConverter.TryWriteBytes(bytes, file);
        return Sha256Digest.FromBytes(bytes);
    }

    /// <summary>
    /// One file ingested long ago, with one node per token <c>id@site=C</c>, C the copy: V verified a day ago,
    /// U never verified, O verified 31 days ago, C corrupt, D another digest, - absent; <c>~</c> before the id
    /// makes the node silent (last heard an hour ago).
    /// </summary>
    public static ScoringInput OneFile(string layout) => new(Files(1), layout.Split(' ').Select(ParseNode));

    private static CopyColumn ParseNode(string token)
    {
        var silent = token.StartsWith('~');
        var (id, rest) = Cut(silent ? token[1..] : token, '@');
        var (site, code) = Cut(rest, '=');
        var copy = code switch
        {
            "V" => Verified,
            "U" => Unverified,
            "O" => CopyState.Ok(Now.AddDays(-31)),
            "C" => CopyState.Corrupt,
            "D" => CopyState.OtherDigest,
            "-" => CopyState.Absent,
            _ => throw new FormatException($"unknown copy '{code}' in '{token}'"),
        };
        var node = Column(id, site, copy);
        return silent ? node.Heard(Now.AddHours(-1)) : node;
    }

    private static (string Before, string After) Cut(string text, char separator)
    {
        var at = text.IndexOf(separator, StringComparison.Ordinal);
        return at < 0
            ? throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"no '{separator}' in '{text}'"))
            : (text[..at], text[(at + 1)..]);
    }

    public static ScoreReport Score(ScoringInput input, ScoreSettings? settings = null) =>
        PreservationScorer.Score(input, settings ?? ScoreSettings.Default, Now);
}
