using System.Globalization;
using System.Text.Json;

namespace MediaFleet.Conversion.Ffmpeg;

/// <summary>
/// What ffprobe found in a file: the container's name, its duration and its streams. <see cref="Error"/> is
/// ffprobe's first complaint when it could not read the file (then there are no streams).
/// </summary>
public sealed record MediaProbe(string? FormatName, TimeSpan? Duration, IReadOnlyList<MediaStream> Streams, string? Error = null)
{
    /// <summary>A file ffprobe could not read.</summary>
    public static MediaProbe Unreadable(string error) => new(null, null, [], error);

    /// <summary>
    /// The duration to compare: the container's, else the longest stream's (some containers give only one of the two).
    /// </summary>
    public TimeSpan? EffectiveDuration =>
        Duration ?? Streams.Select(s => s.Duration).Where(d => d is not null).DefaultIfEmpty(null).Max();

    /// <summary>Parses <c>ffprobe -print_format json -show_format -show_streams</c> output.</summary>
    /// <exception cref="JsonException">Not JSON.</exception>
    public static MediaProbe Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        string? formatName = null;
        TimeSpan? duration = null;
        if (root.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.Object)
        {
            formatName = Text(format, "format_name");
            duration = Seconds(Text(format, "duration"));
        }
        var streams = new List<MediaStream>();
        if (root.TryGetProperty("streams", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var stream in list.EnumerateArray())
            {
                var attached = stream.TryGetProperty("disposition", out var disposition)
                    && disposition.ValueKind == JsonValueKind.Object
                    && disposition.TryGetProperty("attached_pic", out var pic) && pic.ValueKind == JsonValueKind.Number && pic.GetInt32() == 1;
                // Matroska keeps a stream's duration only as a tag ("00:00:02.007000000").
                var streamDuration = Seconds(Text(stream, "duration"))
                    ?? (stream.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Object ? Clock(Text(tags, "DURATION")) : null);
                streams.Add(new MediaStream(
                    stream.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number ? index.GetInt32() : streams.Count,
                    Text(stream, "codec_type") ?? "unknown",
                    Text(stream, "codec_name"),
                    streamDuration,
                    attached));
            }
        }
        return new MediaProbe(formatName, duration, streams);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    /// <summary>"2.000000" seconds; "N/A", a negative or a missing value is no duration.</summary>
    private static TimeSpan? Seconds(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && double.IsFinite(seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static TimeSpan? Clock(string? text)
    {
        var parts = text?.Split(':');
        return parts is { Length: 3 }
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            && double.TryParse(parts[2], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromHours(hours) + TimeSpan.FromMinutes(minutes) + TimeSpan.FromSeconds(seconds)
            : null;
    }
}

/// <summary>One stream as ffprobe names it: <c>codec_type</c> video, audio, subtitle, data or attachment.</summary>
public sealed record MediaStream(int Index, string CodecType, string? CodecName, TimeSpan? Duration, bool AttachedPicture)
{
    public bool IsVideo => CodecType == "video";

    public bool IsAudio => CodecType == "audio";
}
