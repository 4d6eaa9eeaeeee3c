using System.Security.Cryptography;
using MediaFleet.Conversion.Ffmpeg;
using MediaFleet.Conversion.Profiles;
using MediaFleet.Testing;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Conversion.Tests;

/// <summary>
/// Each default profile run by real ffmpeg on a clip ffmpeg made, then judged as the broker judges: ffprobe of the
/// output, the expected codec and container, and the success rule.
/// </summary>
public sealed class ProfileAcceptanceTests
{
    public static TheoryData<string, string, string> Profiles() => new()
    {
        { "h264-mkv", "matroska,webm", "h264+opus" },
        { "h264-mp4", "mov,mp4,m4a,3gp,3g2,mj2", "h264+aac" },
        { "h265-mkv", "matroska,webm", "hevc+opus" },
        { "h265-mp4", "mov,mp4,m4a,3gp,3g2,mj2", "hevc+aac" },
        { "webp", "webp_pipe", "webp" },
        { "opus", "ogg", "opus" },
        { "aac", "mov,mp4,m4a,3gp,3g2,mj2", "aac" },
        { "mp3", "mp3", "mp3" },
        { "flac", "flac", "flac" },
    };

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task DefaultProfile_MakesTheExpectedCodecAndContainer(string name, string format, string codecs)
    {
        using var folder = new TempFolder();
        Assert.True(ProfileCatalog.Defaults.TryGet(name, out var profile));
        var input = profile.Media switch
        {
            MediaKind.Video => await Clips.VideoAsync(folder.Path),
            MediaKind.Audio => await Clips.ToneAsync(folder.Path),
            _ => await Clips.StillAsync(folder.Path),
        };
        var inputDigest = await DigestAsync(input);
        var output = folder.Combine($"out.{profile.Extension}");

        var result = await FfmpegConversion.RunAsync(input, profile.Arguments, output, null, CancellationToken.None);

        Assert.True(result.ExitCode == 0, string.Join('\n', result.ErrorTail));
        var inputProbe = await Ffprobe.ProbeAsync(input, CancellationToken.None);
        var outputProbe = await Ffprobe.ProbeAsync(output, CancellationToken.None);
        Assert.Equal(format, outputProbe.FormatName);
        Assert.Equal(codecs, string.Join('+', outputProbe.Streams.Select(s => s.CodecName)));
        Assert.Null(ConversionRules.InputError(profile, inputProbe));
        Assert.Null(ConversionRules.OutputError(profile.Media, inputProbe, outputProbe));
        Assert.Equal(inputDigest, await DigestAsync(input));
    }

    [Fact]
    public async Task AProfileThatCutsTheOutputShort_FailsTheRule_NamingBothDurations()
    {
        using var folder = new TempFolder();
        var catalog = ProfileCatalog.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Broker:Profiles:cut:media"] = "video",
            ["Broker:Profiles:cut:extension"] = "mkv",
            ["Broker:Profiles:cut:args"] = "-t 1 -c:v libx264 -preset ultrafast -c:a libopus",
        }).Build());
        Assert.Empty(catalog.Errors);
        Assert.True(catalog.TryGet("cut", out var profile));
        var input = await Clips.VideoAsync(folder.Path, seconds: 5);
        var inputDigest = await DigestAsync(input);
        var output = folder.Combine("out.mkv");

        var result = await FfmpegConversion.RunAsync(input, profile.Arguments, output, null, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        var error = ConversionRules.OutputError(profile.Media,
            await Ffprobe.ProbeAsync(input, CancellationToken.None), await Ffprobe.ProbeAsync(output, CancellationToken.None));
        Assert.NotNull(error);
        Assert.Matches(@"^the output lasts 1\.\d\d s but the input 5\.\d\d s \(at most 1\.00 s apart\)$", error);
        Assert.Equal(inputDigest, await DigestAsync(input));
    }

    private static async Task<string> DigestAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream));
    }
}
