using MediaFleet.Conversion.Ffmpeg;

namespace MediaFleet.Conversion.Tests;

/// <summary>The -progress parser on captured ffmpeg output and on a table of single blocks.</summary>
public sealed class FfmpegProgressParserTests
{
    [Fact]
    public void CapturedH264Run_GivesTwoBlocks_TheLastAtTheEnd()
    {
        var blocks = FfmpegProgressParser.ParseAll(Golden.Lines("progress-h264-mkv.txt"));

        Assert.Equal(2, blocks.Count);
        Assert.Equal(new FfmpegProgress(TimeSpan.FromMilliseconds(74), 982, 3.41, 1, false), blocks[0]);
        Assert.Equal(new FfmpegProgress(TimeSpan.FromMilliseconds(2034), 99735, 8.54, 50, true), blocks[1]);
    }

    [Fact]
    public void CapturedAudioRun_ReadsPaddedSpeeds()
    {
        var blocks = FfmpegProgressParser.ParseAll(Golden.Lines("progress-flac.txt"));

        Assert.Equal([0d, 175d], blocks.Select(b => b.Speed!.Value));
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(2)], blocks.Select(b => b.OutTime!.Value));
        Assert.Equal([null, null], blocks.Select(b => b.Frame));
        Assert.True(blocks[^1].IsEnd);
    }

    [Fact]
    public void CapturedSlowRun_NegativeTimesAndNaSpeedsAreUnknown_AndTimeNeverGoesBackAfterwards()
    {
        var blocks = FfmpegProgressParser.ParseAll(Golden.Lines("progress-h265-slow.txt"));

        Assert.Equal(26, blocks.Count);
        Assert.Single(blocks, b => b.IsEnd);
        Assert.True(blocks[^1].IsEnd);
        Assert.Null(blocks[0].Speed);
        Assert.Equal(2, blocks.Count(b => b.OutTime is null));
        Assert.Contains(blocks, b => b.OutTime is null && b.Speed is null);
        var known = blocks.Where(b => b.OutTime is not null && b.OutTime > TimeSpan.Zero).Select(b => b.OutTime!.Value).ToList();
        Assert.Equal(known.Order(), known);
        Assert.Equal(TimeSpan.FromMilliseconds(1881), blocks[^1].OutTime);
    }

    public static TheoryData<string[], FfmpegProgress> Blocks() => new()
    {
        { ["out_time_us=N/A", "out_time_ms=N/A", "out_time=N/A", "total_size=N/A", "speed=N/A", "progress=continue"], new(null, null, null, null, false) },
        { ["out_time_ms=1500000", "progress=continue"], new(TimeSpan.FromSeconds(1.5), null, null, null, false) },
        { ["out_time=01:02:03.500000", "progress=end"], new(new TimeSpan(0, 1, 2, 3, 500), null, null, null, true) },
        { ["out_time=25:00:00.000000", "progress=end"], new(TimeSpan.FromHours(25), null, null, null, true) },
        { ["out_time=-00:00:00.079000", "progress=continue"], new(null, null, null, null, false) },
        { ["out_time_us=2000000", "out_time_ms=9", "out_time=00:00:09.000000", "progress=continue"], new(TimeSpan.FromSeconds(2), null, null, null, false) },
        { ["speed=1.23x", "progress=continue"], new(null, null, 1.23, null, false) },
        { ["speed=   2x", "total_size=10", "frame=7", "progress=continue"], new(null, 10, 2, 7, false) },
        { ["speed=fast", "progress=continue"], new(null, null, null, null, false) },
        { ["bitrate= 392.3kbits/s", "stream_0_0_q=-1.0", "garbage", "", "=x", "progress=continue"], new(null, null, null, null, false) },
        { ["progress=end"], new(null, null, null, null, true) },
    };

    [Theory]
    [MemberData(nameof(Blocks))]
    public void OneBlock(string[] lines, FfmpegProgress expected) => Assert.Equal([expected], FfmpegProgressParser.ParseAll(lines));

    [Fact]
    public void ABlockForgetsThePreviousBlocksValues()
    {
        var blocks = FfmpegProgressParser.ParseAll(["out_time_us=1000000", "speed=2x", "progress=continue", "progress=continue"]);

        Assert.Equal(new FfmpegProgress(null, null, null, null, false), blocks[1]);
    }

    [Fact]
    public void FractionAndRemaining()
    {
        var progress = new FfmpegProgress(TimeSpan.FromSeconds(5), 100, 2, 1, false);

        Assert.Equal(0.25, progress.FractionOf(TimeSpan.FromSeconds(20)));
        Assert.Equal(TimeSpan.FromSeconds(7.5), progress.RemainingFor(TimeSpan.FromSeconds(20)));
        Assert.Equal(1, progress.FractionOf(TimeSpan.FromSeconds(4)));
        Assert.Null(progress.FractionOf(null));
        Assert.Null(progress with { Speed = null } is var slow ? slow.RemainingFor(TimeSpan.FromSeconds(20)) : null);
    }
}
