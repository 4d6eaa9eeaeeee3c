using MediaFleet.Conversion.Profiles;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Conversion.Tests;

/// <summary>Profiles as configuration: the nine defaults, what users add or override, and what start-up refuses.</summary>
public sealed class ProfileCatalogTests
{
    private static ProfileCatalog From(params (string Key, string Value)[] settings) =>
        ProfileCatalog.From(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build());

    [Fact]
    public void Defaults_AreTheNineOfTheDesign()
    {
        var catalog = ProfileCatalog.Defaults;

        Assert.Empty(catalog.Errors);
        Assert.Equal(
            [("aac", "audio", "m4a"), ("flac", "audio", "flac"), ("h264-mkv", "video", "mkv"), ("h264-mp4", "video", "mp4"),
             ("h265-mkv", "video", "mkv"), ("h265-mp4", "video", "mp4"), ("mp3", "audio", "mp3"), ("opus", "audio", "opus"),
             ("webp", "image", "webp")],
            catalog.ToDtos().Select(p => (p.Name, p.Media, p.Extension)));
        Assert.All(catalog.ToDtos(), p => Assert.False(string.IsNullOrWhiteSpace(p.Description)));
        Assert.True(catalog.TryGet("h264-mp4", out var h264));
        Assert.Equal(["-map", "0:v:0", "-map", "0:a:0?", "-c:v", "libx264"], h264.Arguments.Take(6));
    }

    [Fact]
    public void AUserProfile_IsAdded_WithArgsAsOneString()
    {
        var catalog = From(("Broker:Profiles:h264-vaapi:media", "video"), ("Broker:Profiles:h264-vaapi:extension", "mkv"),
            ("Broker:Profiles:h264-vaapi:args", "-vf 'format=nv12,hwupload' -c:v h264_vaapi"), ("Broker:Profiles:h264-vaapi:description", "Intel GPU"));

        Assert.Empty(catalog.Errors);
        Assert.Equal(10, catalog.Profiles.Count);
        Assert.True(catalog.TryGet("h264-vaapi", out var profile));
        Assert.Equal(new[] { "-vf", "format=nv12,hwupload", "-c:v", "h264_vaapi" }, profile.Arguments);
        Assert.Equal((MediaKind.Video, "mkv", "Intel GPU"), (profile.Media, profile.Extension, profile.Description));
    }

    [Fact]
    public void ArgsMayBeAnArray_AndAMissingDescriptionIsMadeUp()
    {
        var catalog = From(("Broker:Profiles:opus-low:media", "audio"), ("Broker:Profiles:opus-low:extension", "ogg"),
            ("Broker:Profiles:opus-low:args:0", "-c:a"), ("Broker:Profiles:opus-low:args:1", "libopus"), ("Broker:Profiles:opus-low:args:2", "-b:a"), ("Broker:Profiles:opus-low:args:3", "48k"));

        Assert.Empty(catalog.Errors);
        Assert.True(catalog.TryGet("opus-low", out var profile));
        Assert.Equal(new[] { "-c:a", "libopus", "-b:a", "48k" }, profile.Arguments);
        Assert.Equal("audio to .ogg", profile.Description);
    }

    [Fact]
    public void ADefaultsName_OverridesTheFieldsGiven_AndKeepsTheRest()
    {
        var catalog = From(("Broker:Profiles:h264-mp4:args", "-threads 1 -c:v libx264 -c:a aac"));

        Assert.Empty(catalog.Errors);
        Assert.True(catalog.TryGet("h264-mp4", out var profile));
        Assert.Equal(new[] { "-threads", "1", "-c:v", "libx264", "-c:a", "aac" }, profile.Arguments);
        Assert.Equal((MediaKind.Video, "mp4"), (profile.Media, profile.Extension));
        Assert.Equal(9, catalog.Profiles.Count);
    }

    [Theory]
    [InlineData("Broker:Profiles:x:media", "subtitles", "Broker:Profiles:x:media 'subtitles' is not video, audio or image")]
    [InlineData("Broker:Profiles:x:extension", "", "Broker:Profiles:x:extension is empty")]
    [InlineData("Broker:Profiles:x:extension", ".mkv", "Broker:Profiles:x:extension '.mkv' is not 1 to 16 letters or digits without a dot")]
    [InlineData("Broker:Profiles:x:args", "-vf 'scale=1:2", "Broker:Profiles:x:args has a quote that is not closed")]
    [InlineData("Broker:Profiles:x:args", "-i other.mkv -c copy", "Broker:Profiles:x:args may not hold -i")]
    [InlineData("Broker:Profiles:x:arg", "-c copy", "Broker:Profiles:x:arg is not a profile setting")]
    [InlineData("Broker:Profiles:H264:media", "video", "Broker:Profiles:H264: a profile name is")]
    [InlineData("Broker:Profiles:../x:media", "video", "Broker:Profiles:../x: a profile name is")]
    public void ABadProfile_IsOneClearLine(string key, string value, string error)
    {
        var settings = new List<(string, string)> { ("Broker:Profiles:x:media", "video"), ("Broker:Profiles:x:extension", "mkv") };
        settings.RemoveAll(s => s.Item1 == key);
        settings.Add((key, value));

        var catalog = From([.. settings]);

        Assert.Contains(catalog.Errors, e => e.StartsWith(error, StringComparison.Ordinal));
        Assert.Single(catalog.Errors);
    }

    [Fact]
    public void AProfileWithNoMedia_SaysItIsMissing()
    {
        var catalog = From(("Broker:Profiles:new:extension", "mkv"));

        Assert.Equal(["Broker:Profiles:new:media is missing: video, audio or image"], catalog.Errors);
    }
}
