namespace MediaFleet.Conversion.Tests;

/// <summary>The captured ffmpeg and ffprobe output under Golden/ (made by Golden/capture.sh).</summary>
internal static class Golden
{
    public static string Text(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", name));

    public static string[] Lines(string name) => File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Golden", name));
}
