using MediaFleet.Conversion.Ffmpeg;
using MediaFleet.Conversion.Profiles;

namespace MediaFleet.Conversion.Tests;

/// <summary>The broker's success rule and 415 rule as tables of probes.</summary>
public sealed class ConversionRulesTests
{
    private static readonly MediaStream Video = new(0, "video", "h264", null, false);
    private static readonly MediaStream Audio = new(1, "audio", "aac", null, false);
    private static readonly MediaStream Cover = new(2, "video", "mjpeg", null, true);

    private static MediaProbe Probe(double? seconds, params MediaStream[] streams) =>
        new("test", seconds is { } s ? TimeSpan.FromSeconds(s) : null, streams);

    public static TheoryData<MediaKind, MediaProbe, MediaProbe, string?> Outputs() => new()
    {
        { MediaKind.Video, Probe(10, Video, Audio), Probe(10.5, Video, Audio), null },
        { MediaKind.Video, Probe(10, Video, Audio), Probe(9.0, Video), null },
        { MediaKind.Video, Probe(10, Video, Audio), Probe(8.99, Video), "the output lasts 8.99 s but the input 10.00 s (at most 1.00 s apart)" },
        { MediaKind.Video, Probe(5, Video, Audio), Probe(1, Video, Audio), "the output lasts 1.00 s but the input 5.00 s (at most 1.00 s apart)" },
        { MediaKind.Video, Probe(5, Video, Audio), Probe(7, Video, Audio), "the output lasts 7.00 s but the input 5.00 s (at most 1.00 s apart)" },
        // 1 % of an hour is 36 s.
        { MediaKind.Video, Probe(3600, Video), Probe(3630, Video), null },
        { MediaKind.Video, Probe(3600, Video), Probe(3563, Video), "the output lasts 3563.00 s but the input 3600.00 s (at most 36.00 s apart)" },
        { MediaKind.Video, Probe(10, Video, Audio), Probe(10, Audio), "the output has no video stream" },
        { MediaKind.Video, Probe(10, Video, Audio), Probe(10, Audio, Cover), "the output has no video stream" },
        { MediaKind.Video, Probe(10, Video), Probe(null, Video), "the output's duration is unknown, the input's is 10.00 s" },
        { MediaKind.Video, Probe(null, Video), Probe(3, Video), null },
        { MediaKind.Audio, Probe(2, Audio), Probe(2.02, Audio), null },
        { MediaKind.Audio, Probe(2, Video, Audio), Probe(2, Video), "the output has no audio stream" },
        { MediaKind.Audio, Probe(2, Audio), MediaProbe.Unreadable("Invalid data found when processing input"), "the output is not readable media (ffprobe: Invalid data found when processing input)" },
        { MediaKind.Image, Probe(null, Video), Probe(null, new MediaStream(0, "video", "webp", null, false)), null },
        { MediaKind.Image, Probe(10, Video), Probe(0.04, Video), null },
        { MediaKind.Image, Probe(null, Video), Probe(null, Audio), "the output has no image (video) stream" },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void OutputError(MediaKind media, MediaProbe input, MediaProbe output, string? expected) =>
        Assert.Equal(expected, ConversionRules.OutputError(media, input, output));

    public static TheoryData<string, MediaProbe, string?> Inputs() => new()
    {
        { "h264-mp4", Probe(2, Video, Audio), null },
        { "h264-mp4", Probe(null, Video), null },
        { "h264-mp4", Probe(2, Audio), "the input has no video stream, which profile 'h264-mp4' takes" },
        { "h264-mp4", Probe(2, Audio, Cover), "the input has no video stream, which profile 'h264-mp4' takes" },
        { "opus", Probe(2, Audio, Cover), null },
        { "opus", Probe(2, Video), "the input has no audio stream, which profile 'opus' takes" },
        { "webp", Probe(null, Video), null },
        { "webp", Probe(2, Audio, Cover), null },
        { "flac", MediaProbe.Unreadable("Invalid data found when processing input"), "the input has no audio stream, which profile 'flac' takes (ffprobe: Invalid data found when processing input)" },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void InputError(string profile, MediaProbe input, string? expected)
    {
        Assert.True(ProfileCatalog.Defaults.TryGet(profile, out var p));
        Assert.Equal(expected, ConversionRules.InputError(p, input));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(99, 1)]
    [InlineData(100, 1)]
    [InlineData(250, 2.5)]
    public void Slack_IsTheLargerOfOneSecondAndOnePercent(double input, double slack) =>
        Assert.Equal(TimeSpan.FromSeconds(slack), ConversionRules.Slack(TimeSpan.FromSeconds(input)));
}
