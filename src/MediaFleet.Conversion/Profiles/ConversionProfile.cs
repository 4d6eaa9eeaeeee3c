namespace MediaFleet.Conversion.Profiles;

/// <summary>What a profile makes: video, audio or a still image (DESIGN.md section 8).</summary>
public enum MediaKind
{
    Video,
    Audio,
    Image,
}

/// <summary>A validated conversion profile: ffmpeg's output arguments and the extension that picks the container.</summary>
public sealed record ConversionProfile(string Name, MediaKind Media, string Extension, IReadOnlyList<string> Arguments, string Description)
{
    /// <summary>The media as the JSON spells it: video, audio or image.</summary>
    public string MediaName => MediaNames.Of(Media);
}

/// <summary>The words of <see cref="MediaKind"/> in configuration and JSON.</summary>
public static class MediaNames
{
    public static string Of(MediaKind media) => media switch
    {
        MediaKind.Video => "video",
        MediaKind.Audio => "audio",
        _ => "image",
    };

    public static bool TryParse(string? text, out MediaKind media)
    {
        (var ok, media) = text?.Trim().ToLowerInvariant() switch
        {
            "video" => (true, MediaKind.Video),
            "audio" => (true, MediaKind.Audio),
            "image" => (true, MediaKind.Image),
            _ => (false, default),
        };
        return ok;
    }
}
