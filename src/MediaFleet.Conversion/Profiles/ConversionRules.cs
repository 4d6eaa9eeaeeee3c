using System.Globalization;
using MediaFleet.Conversion.Ffmpeg;

namespace MediaFleet.Conversion.Profiles;

/// <summary>
/// The broker's rules (DESIGN.md section 8), pure: an input the profile cannot take is refused (415), and an output
/// succeeds only when ffprobe finds the profile's kind of stream in it and, for audio and video, a duration within
/// max(1 s, 1 %) of the input's. ffmpeg's exit code alone never decides (Tdarr and Unmanic kept truncated outputs).
/// </summary>
public static class ConversionRules
{
    private static readonly TimeSpan MinimumSlack = TimeSpan.FromSeconds(1);

    /// <summary>Null when the input holds a stream the profile takes, else one line saying what is missing.</summary>
    public static string? InputError(ConversionProfile profile, MediaProbe input)
    {
        if (HasStream(profile.Media, input))
        {
            return null;
        }
        var why = input.Error is { } error ? $" (ffprobe: {error})" : "";
        return $"the input has no {StreamWord(profile.Media)} stream, which profile '{profile.Name}' takes{why}";
    }

    /// <summary>Null when the output is a success, else the one-line cause for the job's <c>error</c>.</summary>
    public static string? OutputError(MediaKind media, MediaProbe input, MediaProbe output)
    {
        if (output.Error is { } error)
        {
            return $"the output is not readable media (ffprobe: {error})";
        }
        if (!HasStream(media, output))
        {
            return $"the output has no {StreamWord(media)} stream";
        }
        if (media == MediaKind.Image || input.EffectiveDuration is not { } expected)
        {
            // A still has no duration, nor does an input whose container gives none: nothing to compare.
            return null;
        }
        if (output.EffectiveDuration is not { } actual)
        {
            return $"the output's duration is unknown, the input's is {Seconds(expected)}";
        }
        var slack = Slack(expected);
        return (actual - expected).Duration() <= slack
            ? null
            : $"the output lasts {Seconds(actual)} but the input {Seconds(expected)} (at most {Seconds(slack)} apart)";
    }

    /// <summary>How far an output's duration may be from the input's: max(1 s, 1 %).</summary>
    public static TimeSpan Slack(TimeSpan inputDuration) => TimeSpan.FromTicks(Math.Max(MinimumSlack.Ticks, inputDuration.Ticks / 100));

    /// <summary>
    /// Video takes a moving picture (not cover art), audio a sound stream, an image any picture: ffprobe calls a
    /// still a video stream too.
    /// </summary>
    private static bool HasStream(MediaKind media, MediaProbe probe) => media switch
    {
        MediaKind.Video => probe.Streams.Any(s => s.IsVideo && !s.AttachedPicture),
        MediaKind.Audio => probe.Streams.Any(s => s.IsAudio),
        _ => probe.Streams.Any(s => s.IsVideo),
    };

    private static string StreamWord(MediaKind media) => media switch
    {
        MediaKind.Video => "video",
        MediaKind.Audio => "audio",
        _ => "image (video)",
    };

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
}
