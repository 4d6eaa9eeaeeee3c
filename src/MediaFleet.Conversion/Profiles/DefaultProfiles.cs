namespace MediaFleet.Conversion.Profiles;

/// <summary>
/// The nine profiles of DESIGN.md section 8, with encoders Debian's ffmpeg has (libx264, libx265, libwebp, libopus,
/// aac, libmp3lame, flac). Video takes the first video stream and the first audio stream when there is one; audio
/// takes the first audio stream only, so cover art never becomes a video track; webp takes one frame.
/// </summary>
public static class DefaultProfiles
{
    // yuv420p: players that read H.264/H.265 expect it, and a PNG or RGB source would otherwise give 4:4:4.
    private const string H264 = "-map 0:v:0 -map 0:a:0? -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p";

    // x265 logs every frame's statistics on stderr unless told not to; that would fill the stderr tail.
    private const string H265 = "-map 0:v:0 -map 0:a:0? -c:v libx265 -preset fast -crf 28 -pix_fmt yuv420p -x265-params log-level=error";

    // Matroska holds Opus; MP4 players expect AAC, and the index at the front lets them start before the end arrives.
    private const string MkvAudio = " -c:a libopus -b:a 128k";
    private const string Mp4Audio = " -c:a aac -b:a 160k -movflags +faststart";

    /// <summary>name → (media, extension, args, description), as <c>Broker:Profiles</c> would spell them.</summary>
    public static readonly IReadOnlyList<(string Name, string Media, string Extension, string Args, string Description)> All =
    [
        ("h264-mkv", "video", "mkv", H264 + MkvAudio, "H.264 video, Opus audio in Matroska"),
        ("h264-mp4", "video", "mp4", H264 + Mp4Audio, "H.264 video, AAC audio in MP4"),
        ("h265-mkv", "video", "mkv", H265 + MkvAudio, "H.265 video, Opus audio in Matroska"),
        // hvc1: the sample entry Apple's players require for H.265 in MP4.
        ("h265-mp4", "video", "mp4", H265 + " -tag:v hvc1" + Mp4Audio, "H.265 video, AAC audio in MP4"),
        ("webp", "image", "webp", "-map 0:v:0 -frames:v 1 -c:v libwebp -quality 85", "WebP still image (the first frame)"),
        ("opus", "audio", "opus", "-map 0:a:0 -c:a libopus -b:a 128k", "Opus audio in Ogg, 128 kbit/s"),
        ("aac", "audio", "m4a", "-map 0:a:0 -c:a aac -b:a 192k -movflags +faststart", "AAC audio in M4A, 192 kbit/s"),
        ("mp3", "audio", "mp3", "-map 0:a:0 -c:a libmp3lame -q:a 2", "MP3 audio, VBR about 190 kbit/s"),
        ("flac", "audio", "flac", "-map 0:a:0 -c:a flac", "FLAC lossless audio"),
    ];
}
