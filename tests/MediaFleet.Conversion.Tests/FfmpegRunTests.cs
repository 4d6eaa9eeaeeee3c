using System.Collections.Concurrent;
using MediaFleet.Conversion.Ffmpeg;
using MediaFleet.Conversion.Profiles;
using MediaFleet.Hosting.Processes;
using MediaFleet.Testing;

namespace MediaFleet.Conversion.Tests;

/// <summary>Real ffprobe and ffmpeg through the runner.</summary>
public sealed class FfmpegRunTests
{
    [Fact]
    public async Task ProbeAsync_TextFile_IsUnreadable_AndTheInputRuleRefusesIt()
    {
        using var folder = new TempFolder();
        var text = folder.Combine("notes");
        await File.WriteAllTextAsync(text, "hello, this is text\n");

        var probe = await Ffprobe.ProbeAsync(text, CancellationToken.None);

        Assert.Empty(probe.Streams);
        Assert.Equal("Invalid data found when processing input", probe.Error);
        Assert.True(ProfileCatalog.Defaults.TryGet("h264-mp4", out var profile));
        Assert.Equal("the input has no video stream, which profile 'h264-mp4' takes (ffprobe: Invalid data found when processing input)",
            ConversionRules.InputError(profile, probe));
    }

    [Fact]
    public async Task ProbeAsync_AClip_WithAColonInItsName()
    {
        using var folder = new TempFolder();
        var clip = await Clips.ToneAsync(folder.Path);
        var odd = folder.Combine("a:b.wav");
        File.Move(clip, odd);

        var probe = await Ffprobe.ProbeAsync(odd, CancellationToken.None);

        Assert.Null(probe.Error);
        Assert.Equal("wav", probe.FormatName);
        Assert.Equal(TimeSpan.FromSeconds(2), probe.Duration);
    }

    [Fact]
    public async Task RunAsync_ReportsProgress_EndingWithTheEndBlock()
    {
        using var folder = new TempFolder();
        var input = await Clips.ToneAsync(folder.Path);
        var progress = new ConcurrentQueue<FfmpegProgress>();

        var result = await FfmpegConversion.RunAsync(input, ["-c:a", "flac"], folder.Combine("out.flac"), progress.Enqueue, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        var last = progress.Last();
        Assert.True(last.IsEnd);
        Assert.Equal(1, last.FractionOf(TimeSpan.FromSeconds(2)));
        Assert.Single(progress, p => p.IsEnd);
    }

    [Fact]
    public async Task AFailingConversion_KeepsFfmpegsComplaintInTheTail()
    {
        using var folder = new TempFolder();
        var input = await Clips.ToneAsync(folder.Path);

        var result = await FfmpegConversion.RunAsync(input, ["-c:a", "no-such-encoder"], folder.Combine("out.flac"), null, CancellationToken.None);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(result.ErrorTail, l => l.Contains("no-such-encoder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StopAsync_FfmpegFinishesTheFileOnTerm_BeforeAnyKill()
    {
        using var folder = new TempFolder();
        var input = await Clips.VideoAsync(folder.Path, seconds: 30);
        var output = folder.Combine("out.mkv");
        var started = new TaskCompletionSource();
        // Slow on purpose: one thread of x265's slow preset cannot finish 30 s of video before the stop.
        await using var ffmpeg = FfmpegConversion.Start(input, ["-threads", "1", "-c:v", "libx265", "-preset", "slow", "-x265-params", "log-level=error:pools=1:frame-threads=1", "-c:a", "flac"], output,
            p => { if (p.OutTime > TimeSpan.Zero) { started.TrySetResult(); } });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await ffmpeg.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.False(ffmpeg.Killed);
        Assert.False(ProcFs.IsAlive(ffmpeg.Id));
        var probe = await Ffprobe.ProbeAsync(output, CancellationToken.None);
        Assert.Null(probe.Error);
        Assert.InRange(probe.EffectiveDuration!.Value.TotalSeconds, 0.01, 29);
    }

    [Fact]
    public async Task Cancellation_KillsFfmpegAtOnce()
    {
        using var folder = new TempFolder();
        var input = await Clips.VideoAsync(folder.Path, seconds: 30);
        using var cancel = new CancellationTokenSource();
        var pid = new TaskCompletionSource();
        var run = FfmpegConversion.RunAsync(input, ["-threads", "1", "-c:v", "libx265", "-preset", "slow", "-x265-params", "log-level=error:pools=1:frame-threads=1"], folder.Combine("out.mkv"),
            _ => pid.TrySetResult(), cancel.Token);
        await pid.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var ffmpeg = ProcFs.Children(Environment.ProcessId).Where(p => ProcFs.Command(p) == "ffmpeg").ToList();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.NotEmpty(ffmpeg);
        await ProcFs.AllGoneAsync(ffmpeg, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task FfprobeMissing_IsAStartError()
    {
        var start = new ChildProcessStart("ffprobe", ["-version"]) { Environment = new Dictionary<string, string?> { ["PATH"] = "/nonexistent" } };

        var e = Assert.Throws<ChildProcessStartException>(() => ChildProcess.Start(start));

        Assert.Equal("not found on PATH", e.Reason);
        await Task.CompletedTask;
    }
}
