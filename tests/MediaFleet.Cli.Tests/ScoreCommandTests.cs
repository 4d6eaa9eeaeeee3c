using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

/// <summary><c>mfleet score</c> before the coordinator's first scoring pass claims nothing (DESIGN.md section 9).</summary>
public sealed class ScoreCommandTests
{
    [Fact]
    public async Task Score_NotScoredYet_PrintsUnknown_AndMinExits3WithOneLine()
    {
        await using var coordinator = await TestCoordinator.StartAsync();

        var plain = await CliRun.RunAsync("score", "--coordinator", coordinator.Url, "--token", TestNode.Token);
        var min = await CliRun.RunAsync("score", "--min", "9", "--coordinator", coordinator.Url, "--token", TestNode.Token);

        Assert.Equal(ExitCodes.Ok, plain.ExitCode);
        Assert.StartsWith("collection unknown (not scored yet)", plain.Lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("very good", plain.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.CheckFailed, min.ExitCode);
        Assert.Equal("mfleet: the collection is not scored yet, so it is not known to reach 9", min.SingleErrorLine());
    }
}

public sealed class ProgressFractionTests
{
    [Theory]
    [InlineData(0, 4, 0)]
    [InlineData(1, 4, 250)]
    [InlineData(2, 3, 666)]
    [InlineData(999, 1000, 999)]
    [InlineData(4, 4, 1000)]
    [InlineData(0, 0, 1000)] // nothing to do is done
    [InlineData(5, 4, 1000)] // a total that grew late never shows more than full
    [InlineData(3_000_000_000, 4_000_000_000, 750)]
    public void Of_CountsDoneOfTotal_OnAPerMilleBar(long done, long total, long expected)
    {
        Assert.Equal(1000, Output.ProgressFraction.Scale);
        Assert.Equal(expected, Output.ProgressFraction.Of(done, total));
    }
}
