namespace MediaFleet.Cli.Tests;

public sealed class DemoTests
{
    [Fact]
    public async Task DemoNoWait_WalksThroughTheTourAndCleansUp()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "mfleet-demo-*").ToHashSet();

        var run = await CliRun.RunAsync("demo", "--no-wait");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("added media/clip.mp4", run.Out, StringComparison.Ordinal);
        Assert.Contains("206 Partial Content", run.Out, StringComparison.Ordinal);
        Assert.Contains("invalid-path", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "mfleet-demo-*"), d => !before.Contains(d));
    }
}
