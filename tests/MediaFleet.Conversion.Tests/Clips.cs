using MediaFleet.Hosting.Processes;

namespace MediaFleet.Conversion.Tests;

/// <summary>Test media that ffmpeg makes: short and small, so a test stays fast on two cores.</summary>
internal static class Clips
{
    /// <summary>testsrc2 with a sine track, H.264 and AAC in MP4.</summary>
    public static Task<string> VideoAsync(string folder, int seconds = 2) =>
        MakeAsync(Path.Combine(folder, $"video-{seconds}s.mp4"),
            "-f", "lavfi", "-i", $"testsrc2=duration={seconds}:size=320x240:rate=25",
            "-f", "lavfi", "-i", $"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest");

    public static Task<string> ToneAsync(string folder, int seconds = 2) =>
        MakeAsync(Path.Combine(folder, $"tone-{seconds}s.wav"), "-f", "lavfi", "-i", $"sine=frequency=440:duration={seconds}");

    public static Task<string> StillAsync(string folder) =>
        MakeAsync(Path.Combine(folder, "still.png"), "-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1");

    private static async Task<string> MakeAsync(string path, params string[] args)
    {
        var result = await ChildProcess.RunAsync(new ChildProcessStart("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", .. args, path]), CancellationToken.None);
        Assert.True(result.ExitCode == 0, $"ffmpeg could not make {path}: {string.Join('\n', result.ErrorTail)}");
        return path;
    }
}
