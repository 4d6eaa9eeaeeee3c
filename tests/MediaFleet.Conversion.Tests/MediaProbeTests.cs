using MediaFleet.Conversion.Ffmpeg;

namespace MediaFleet.Conversion.Tests;

/// <summary>The ffprobe JSON parser on captured output, and on the shapes ffprobe gives less often.</summary>
public sealed class MediaProbeTests
{
    [Fact]
    public void CapturedMp4_FormatDurationAndTwoStreams()
    {
        var probe = MediaProbe.Parse(Golden.Text("probe-video-mp4.json"));

        Assert.Equal("mov,mp4,m4a,3gp,3g2,mj2", probe.FormatName);
        Assert.Equal(TimeSpan.FromSeconds(2), probe.Duration);
        Assert.Equal([("video", "h264"), ("audio", "aac")], probe.Streams.Select(s => (s.CodecType, s.CodecName!)));
        Assert.All(probe.Streams, s => Assert.Equal(TimeSpan.FromSeconds(2), s.Duration));
        Assert.Null(probe.Error);
    }

    [Fact]
    public void CapturedMatroska_StreamDurationsComeFromTags()
    {
        var probe = MediaProbe.Parse(Golden.Text("probe-h264-mkv.json"));

        Assert.Equal("matroska,webm", probe.FormatName);
        Assert.Equal(TimeSpan.FromSeconds(2.028), probe.Duration);
        Assert.Equal(["h264", "opus"], probe.Streams.Select(s => s.CodecName));
        Assert.Equal([TimeSpan.FromSeconds(2.007), TimeSpan.FromSeconds(2.028)], probe.Streams.Select(s => s.Duration!.Value));
    }

    [Theory]
    [InlineData("probe-tone-wav.json", "wav", "audio", "pcm_s16le", 2.0)]
    [InlineData("probe-flac.json", "flac", "audio", "flac", 2.0)]
    [InlineData("probe-still-png.json", "png_pipe", "video", "png", null)]
    [InlineData("probe-webp.json", "webp_pipe", "video", "webp", null)]
    public void CapturedSingleStreamFiles(string golden, string format, string type, string codec, double? seconds)
    {
        var probe = MediaProbe.Parse(Golden.Text(golden));

        Assert.Equal(format, probe.FormatName);
        var stream = Assert.Single(probe.Streams);
        Assert.Equal((type, codec), (stream.CodecType, stream.CodecName));
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, probe.EffectiveDuration);
    }

    [Fact]
    public void CapturedTextFile_NoFormatNoStreams()
    {
        var probe = MediaProbe.Parse(Golden.Text("probe-text.json"));

        Assert.Null(probe.FormatName);
        Assert.Empty(probe.Streams);
        Assert.Null(probe.EffectiveDuration);
    }

    [Fact]
    public void NaDurations_AreUnknown_AndTheLongestStreamStandsInForAMissingFormatDuration()
    {
        var probe = MediaProbe.Parse("""
            {"streams": [
              {"index": 0, "codec_type": "video", "codec_name": "h264", "duration": "N/A"},
              {"index": 1, "codec_type": "audio", "codec_name": "aac", "duration": "3.5"},
              {"index": 2, "codec_type": "audio", "duration": "-1"},
              {"codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}}],
             "format": {"format_name": "mpegts", "duration": "N/A"}}
            """);

        Assert.Null(probe.Duration);
        Assert.Equal(TimeSpan.FromSeconds(3.5), probe.EffectiveDuration);
        Assert.Equal([null, TimeSpan.FromSeconds(3.5), null, null], probe.Streams.Select(s => s.Duration));
        Assert.Equal([0, 1, 2, 3], probe.Streams.Select(s => s.Index));
        Assert.Null(probe.Streams[2].CodecName);
        Assert.Equal([false, false, false, true], probe.Streams.Select(s => s.AttachedPicture));
    }

    [Fact]
    public void EmptyObject_IsNoMedia()
    {
        var probe = MediaProbe.Parse("{}");

        Assert.Equal((null, null, 0), (probe.FormatName, probe.Duration, probe.Streams.Count));
    }
}
