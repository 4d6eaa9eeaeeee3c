namespace MediaFleet.Cli.Tests;

public sealed class DemoTests
{
    [Fact]
    public async Task DemoNoWait_WalksThroughTheTourWithNginx_AndCleansUp()
    {
        var run = await CliRun.RunAsync("demo", "--no-wait");

        Assert.True(run.ExitCode == 0, run.Error + "\n" + run.Out[Math.Max(0, run.Out.Length - 3000)..]);
        Assert.Contains("added media/clip.mp4", run.Out, StringComparison.Ordinal);
        Assert.Contains("206 Partial Content", run.Out, StringComparison.Ordinal);
        Assert.Contains("invalid-path", run.Out, StringComparison.Ordinal);
        Assert.Contains("keeping a real nginx's upstream file", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"server 127\.0\.0\.1:\d+ backup;", run.Out);
        Assert.Matches(@"server 127\.0\.0\.1:\d+ down;", run.Out);
        DemoAssert.BalancerStepsHold(run.Out);
        DemoAssert.IntegrityStepsHold(run.Out);
        // Its own folder, named in the output: the other demo test may be running beside this one with its own.
        var folder = System.Text.RegularExpressions.Regex.Match(run.Out, @"library (/\S*mfleet-demo-[^/\s]+)/primary").Groups[1].Value;
        Assert.NotEmpty(folder);
        Assert.False(Directory.Exists(folder), $"{folder} is left behind");
    }
}

public sealed class DemoBuiltInBalancerTests
{
    [Fact]
    public async Task DemoNoNginx_BalancesWithTheBuiltInProxy()
    {
        var run = await CliRun.RunAsync("demo", "--no-wait", "--no-nginx");

        Assert.True(run.ExitCode == 0, run.Error + "\n" + run.Out[Math.Max(0, run.Out.Length - 3000)..]);
        Assert.Contains("built-in balancer in front of the nodes", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("$ cat ", run.Out, StringComparison.Ordinal);
        DemoAssert.BalancerStepsHold(run.Out);
    }
}

internal static class DemoAssert
{
    /// <summary>Every node served before the drain; after it and the stop, only the primary and the fresh node do.</summary>
    public static void BalancerStepsHold(string output)
    {
        Assert.Contains("follower-1 is backup", output, StringComparison.Ordinal);
        Assert.Contains("follower-2 is down", output, StringComparison.Ordinal);
        var first = Section(output, "== 14.", "== 15.");
        var last = Section(output, "== 17.", "== Try it yourself");
        Assert.Equal(6, CountOf(first, "200 OK"));
        foreach (var node in (string[])["primary", "follower-1", "follower-2", "fresh"])
        {
            Assert.Contains($"served by {node}\n", first, StringComparison.Ordinal);
        }
        var servedLast = last.Split('\n').Where(l => l.Contains("served by", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, servedLast.Count);
        Assert.All(servedLast, line => Assert.Matches(@"^200 OK, \d+ bytes, served by (primary|fresh)$", line));
    }

    /// <summary>The scrub finds the flipped byte (verify exits 3), the copy is healed and the score is back at 10.</summary>
    public static void IntegrityStepsHold(string output)
    {
        var integrity = Section(output, "== 19.", "== Try it yourself");
        Assert.Contains("media/clip.mp4: BAD: its bytes hash to", integrity, StringComparison.Ordinal);
        Assert.Contains("1 BAD (quarantined; being healed)", integrity, StringComparison.Ordinal);
        Assert.Matches(@"healed after \d+ ms", integrity);
        Assert.Contains("verify: 3 copies checked, all good", integrity, StringComparison.Ordinal);
        Assert.EndsWith("collection 10 of 10 (very good), 3 files", Section(output, "$ mfleet score --min 7.5", "  server").Trim(), StringComparison.Ordinal);
    }

    private static string Section(string text, string from, string to)
    {
        var start = text.IndexOf(from, StringComparison.Ordinal);
        var end = text.IndexOf(to, start, StringComparison.Ordinal);
        return text[start..end].ReplaceLineEndings("\n");
    }

    private static int CountOf(string text, string what) => text.Split(what).Length - 1;
}
