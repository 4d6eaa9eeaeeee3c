using System.Globalization;
using System.Text.RegularExpressions;
using MediaFleet.Testing;

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
        DemoAssert.ConversionStepsHold(run.Out);
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

    /// <summary>
    /// Steps 21–26: two worker processes; three conversions fetched and probed; a worker killed mid-encode whose job
    /// expires back to the queue and finishes on the other with one attempt; an output ingested that both followers
    /// serve; and nothing the demo started still runs.
    /// </summary>
    public static void ConversionStepsHold(string output)
    {
        var start = Section(output, "== 21.", "== 22.");
        var workers = Regex.Matches(start, @"^(worker-[12]): pid (\d+), one slot; GET http://127\.0\.0\.1:\d+/healthz says ok$", RegexOptions.Multiline);
        Assert.Equal(["worker-1", "worker-2"], workers.Select(m => m.Groups[1].Value));
        Assert.Contains("h264-realtime (video -> .mp4) is the demo's own, from configuration", start, StringComparison.Ordinal);

        var quick = Section(output, "== 22.", "== 23.");
        foreach (var job in (string[])["clip.mp4 -> h264-mp4", "still.png -> webp", "tone.wav -> opus"])
        {
            Assert.Matches($@"  {Regex.Escape(job)}: succeeded on worker-[12], attempts 0: \d+ bytes", quick);
        }
        var fetched = Section(output, "== 23.", "== 24.");
        Assert.Equal(3, CountOf(fetched, "is the job's output.sha256"));
        Assert.Matches(@"ffprobe clip\.mp4: mov,mp4\S*; video h264; 3\.0\d s", fetched);
        Assert.Contains("ffprobe still.webp: webp_pipe; video webp", fetched, StringComparison.Ordinal);
        Assert.Matches(@"ffprobe tone\.opus: ogg; audio opus; 3\.0\d s", fetched);

        var kill = Section(output, "== 24.", "== 25.");
        var victim = Regex.Match(kill, @"^(worker-[12]) \(pid (\d+)\) is encoding it, \d+ % done: ffmpeg pid (\d+)$", RegexOptions.Multiline);
        Assert.True(victim.Success, kill);
        var survivor = victim.Groups[1].Value == "worker-1" ? "worker-2" : "worker-1";
        Assert.Contains("409 {\"type\":\"urn:mediafleet:problem:job-not-done\"", kill, StringComparison.Ordinal);
        Assert.Contains($"$ kill -9 {victim.Groups[2].Value}\n{victim.Groups[1].Value} is gone (exit code 137: killed by signal 9)", kill, StringComparison.Ordinal);
        Assert.Contains("no process of the killed worker is left", kill, StringComparison.Ordinal);
        Assert.Matches($@"s after the kill, with no renewal, the broker returned the job to the queue: attempts 1, error ""the lease of worker {victim.Groups[1].Value} expired", kill);
        Assert.Matches($@"  long\.mp4 -> h264-realtime: succeeded on {survivor}, attempts 1: \d+ bytes, 20\.0\d s", kill);
        Assert.Matches(@"ffprobe long\.mp4: mov,mp4\S*; video h264; 20\.0\d s", kill);

        var ingest = Section(output, "== 25.", "== 26.");
        Assert.Matches(@"ingest \{path: media/converted/tone\.mp3, state: done, version: \d+\}", ingest);
        Assert.Contains("(follower-1)\n200 OK after", ingest, StringComparison.Ordinal);
        Assert.Contains("(fresh)\n200 OK after", ingest, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(ingest, "bytes, the same SHA-256 as the job's output"));

        var jobs = Section(output, "== 26.", "== Try it yourself");
        Assert.Equal(5, CountOf(jobs, " succeeded attempts "));
        Assert.Contains("ingest done v", jobs, StringComparison.Ordinal);

        // The demo has returned: both workers, and the ffmpeg the killed one left behind, are gone.
        int[] pids = [.. workers.Select(m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)), int.Parse(victim.Groups[3].Value, CultureInfo.InvariantCulture)];
        Assert.All(pids, pid => Assert.False(ProcFs.IsAlive(pid), $"pid {pid} ({ProcFs.Command(pid)}) still runs"));
    }

    private static string Section(string text, string from, string to)
    {
        var start = text.IndexOf(from, StringComparison.Ordinal);
        var end = text.IndexOf(to, start, StringComparison.Ordinal);
        return text[start..end].ReplaceLineEndings("\n");
    }

    private static int CountOf(string text, string what) => text.Split(what).Length - 1;
}
