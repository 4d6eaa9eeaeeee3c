namespace MediaFleet.Cli.Output;

/// <summary>How far a count-based task (verify, adopt) is, on a bar of <see cref="Scale"/> steps.</summary>
internal static class ProgressFraction
{
    /// <summary>The bar's length: per mille, fine enough for a percentage with one decimal.</summary>
    public const long Scale = 1000;

    /// <summary>The steps done of <see cref="Scale"/>: full when there is nothing to do.</summary>
    public static long Of(long done, long total) =>
        total <= 0 ? Scale : (long)(Scale * Math.Clamp((double)done / total, 0, 1)); // in double: done * Scale may overflow
}
