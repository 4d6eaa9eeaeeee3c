// Stand-ins until the Ffmpeg/ and Profiles/ folders land (h/ffmpeg); the broker calls only these names.
using System.Diagnostics;
using System.Text.Json;

namespace MediaFleet.Conversion.Broker;

internal sealed record ProbeResult(double? DurationSeconds, IReadOnlyList<string> StreamKinds);

internal sealed record ConversionProfile(string Name, string Media, string Extension, IReadOnlyList<string> Args, string Description);

internal sealed class ConversionProfiles(IReadOnlyDictionary<string, ConversionProfile> profiles)
{
    public IEnumerable<ConversionProfile> All => profiles.Values.OrderBy(p => p.Name, StringComparer.Ordinal);

    public bool TryGet(string name, out ConversionProfile profile) => profiles.TryGetValue(name, out profile!);

    public static ConversionProfiles Defaults() => new(new Dictionary<string, ConversionProfile>
    {
        ["h264-mp4"] = new("h264-mp4", "video", "mp4", ["-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"], "H.264 + AAC in MP4"),
        ["opus"] = new("opus", "audio", "opus", ["-vn", "-c:a", "libopus"], "Opus audio"),
        ["webp"] = new("webp", "image", "webp", ["-c:v", "libwebp"], "WebP image"),
    });
}

internal static class MediaProbe
{
    public static async Task<ProbeResult?> ProbeAsync(string ffprobe, string file, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(ffprobe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-print_format", "json", "-show_format", "-show_streams", file })
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            return null;
        }
        using var document = JsonDocument.Parse(output);
        var kinds = document.RootElement.TryGetProperty("streams", out var streams)
            ? streams.EnumerateArray().Select(s => s.GetProperty("codec_type").GetString() ?? "").ToList()
            : [];
        double? duration = document.RootElement.TryGetProperty("format", out var format) && format.TryGetProperty("duration", out var d)
            && double.TryParse(d.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
        return new ProbeResult(duration, kinds);
    }

    public static string? InputProblem(string media, ProbeResult input) =>
        media is "audio" ? (input.StreamKinds.Contains("audio") ? null : "the input has no audio stream")
        : input.StreamKinds.Contains("video") ? null : "the input has no video or image stream";

    public static string? OutputProblem(string media, ProbeResult input, ProbeResult output)
    {
        if (InputProblem(media, output) is not null)
        {
            return "the output has no " + (media is "audio" ? "audio" : "video") + " stream";
        }
        if (media is "image" || input.DurationSeconds is not { } want)
        {
            return null;
        }
        var got = output.DurationSeconds ?? 0;
        return Math.Abs(got - want) <= Math.Max(1, want / 100) ? null : $"the output lasts {got:0.###} s, the input {want:0.###} s";
    }
}
