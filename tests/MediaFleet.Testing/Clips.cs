using MediaFleet.Hosting.Processes;

namespace MediaFleet.Testing;

/// <summary>Test media that ffmpeg makes: short and small, so a test stays fast on two cores.</summary>
public static class Clips
{
    /// <summary>testsrc2 with a sine track, H.264 and AAC in MP4.</summary>
    public static Task<string> VideoAsync(string folder, double seconds = 2, string? name = null) =>
        MakeAsync(Path.Combine(folder, name ?? $"video-{Text(seconds)}s.mp4"),
            "-f", "lavfi", "-i", $"testsrc2=duration={Text(seconds)}:size=320x240:rate=25",
            "-f", "lavfi", "-i", $"sine=frequency=440:duration={Text(seconds)}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest");

    /// <summary>A 440 Hz sine as WAV.</summary>
    public static Task<string> ToneAsync(string folder, double seconds = 2, string? name = null) =>
        MakeAsync(Path.Combine(folder, name ?? $"tone-{Text(seconds)}s.wav"), "-f", "lavfi", "-i", $"sine=frequency=440:duration={Text(seconds)}");

    /// <summary>One testsrc2 frame as PNG.</summary>
    public static Task<string> StillAsync(string folder, string? name = null) =>
        MakeAsync(Path.Combine(folder, name ?? "still.png"), "-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1");

    private static string Text(double seconds) => seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> MakeAsync(string path, params string[] args)
    {
        var result = await ChildProcess.RunAsync(new ChildProcessStart("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", .. args, path]), CancellationToken.None);
        return result.ExitCode == 0 ? path : throw new InvalidOperationException($"ffmpeg could not make {path}: {string.Join('\n', result.ErrorTail)}");
    }
}
