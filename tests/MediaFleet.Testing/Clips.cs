using System.Diagnostics;

namespace MediaFleet.Testing;

/// <summary>Media made by ffmpeg itself for the conversion tests: a video with sound, a tone, a still image.</summary>
public static class Clips
{
    /// <summary>testsrc2 video (small, 10 fps) with a sine tone, <paramref name="seconds"/> long, as Matroska.</summary>
    public static Task<string> VideoAsync(string folder, double seconds = 2, string name = "clip.mkv") =>
        MakeAsync(Path.Combine(folder, name),
            ["-f", "lavfi", "-i", $"testsrc2=duration={Seconds(seconds)}:size=160x120:rate=10", "-f", "lavfi", "-i", $"sine=frequency=440:duration={Seconds(seconds)}",
                "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "flac", "-shortest"]);

    /// <summary>A sine tone as WAV.</summary>
    public static Task<string> AudioAsync(string folder, double seconds = 2, string name = "tone.wav") =>
        MakeAsync(Path.Combine(folder, name), ["-f", "lavfi", "-i", $"sine=frequency=440:duration={Seconds(seconds)}"]);

    /// <summary>One testsrc2 frame as PNG.</summary>
    public static Task<string> ImageAsync(string folder, string name = "still.png") =>
        MakeAsync(Path.Combine(folder, name), ["-f", "lavfi", "-i", "testsrc2=size=160x120", "-frames:v", "1"]);

    private static string Seconds(double seconds) => seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> MakeAsync(string path, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", .. arguments, path])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? path : throw new InvalidOperationException($"ffmpeg could not make {path}: {errors}");
    }
}
