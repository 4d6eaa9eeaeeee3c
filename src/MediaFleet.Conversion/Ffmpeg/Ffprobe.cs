using System.Text;
using System.Text.Json;
using MediaFleet.Hosting.Processes;

namespace MediaFleet.Conversion.Ffmpeg;

/// <summary>Runs ffprobe on a file through <see cref="ChildProcess"/> and parses what it says.</summary>
public static class Ffprobe
{
    /// <summary>
    /// Probes <paramref name="path"/>: a <see cref="MediaProbe"/>, with <see cref="MediaProbe.Error"/> set and no streams
    /// when ffprobe cannot read it. Throws <see cref="ChildProcessStartException"/> when ffprobe is not installed.
    /// </summary>
    public static async Task<MediaProbe> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        var json = new StringBuilder();
        var result = await ChildProcess.RunAsync(new ChildProcessStart("ffprobe", Arguments(path))
        {
            OnOutputLine = line => json.Append(line).Append('\n'),
            ErrorTailLines = 5,
        }, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            return MediaProbe.Unreadable(FirstComplaint(result.ErrorTail, path) ?? $"ffprobe exited with {result.ExitCode}");
        }
        try
        {
            return MediaProbe.Parse(json.ToString());
        }
        catch (JsonException e)
        {
            return MediaProbe.Unreadable($"ffprobe's answer is not JSON: {e.Message}");
        }
    }

    /// <summary>The words of the probe: JSON of the container and every stream, errors only on stderr.</summary>
    public static IReadOnlyList<string> Arguments(string path) =>
        ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", FfmpegConversion.FileUrl(path)];

    /// <summary>ffprobe's first line without the file name it starts with ("file:/x/in: Invalid data ...").</summary>
    private static string? FirstComplaint(IReadOnlyList<string> tail, string path)
    {
        var line = tail.FirstOrDefault(l => l.Trim().Length > 0)?.Trim();
        var prefix = FfmpegConversion.FileUrl(path) + ": ";
        return line is not null && line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : line;
    }
}
