using MediaFleet.Conversion.Client;
using MediaFleet.Library.Digests;

namespace MediaFleet.Cli.Tests;

/// <summary>The client's pure rules: when a watched file has settled, what a fetched output is named, the idempotency key.</summary>
public sealed class ConvertClientRulesTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static FileSnapshot File(long size, int modifiedSecond = 0) => new("/w/a.wav", size, T0.AddSeconds(modifiedSecond));

    [Fact]
    public void SettledFiles_AFileIsTakenOnlyAfterItsOwnObservationsStayedUnchangedForTheSettleTime()
    {
        var settled = new SettledFiles(TimeSpan.FromSeconds(10));

        Assert.Empty(settled.Observe([File(100)], T0));                 // first seen: the clock starts
        Assert.Empty(settled.Observe([File(100)], T0.AddSeconds(9)));   // still for 9 s
        Assert.Empty(settled.Observe([File(200, 9)], T0.AddSeconds(9.5))); // grew: the clock starts again
        Assert.Empty(settled.Observe([File(200, 9)], T0.AddSeconds(19)));
        Assert.Equal([File(200, 9)], settled.Observe([File(200, 9)], T0.AddSeconds(19.5)));
    }

    [Fact]
    public void SettledFiles_AnMtimeChangeWithoutASizeChange_StartsTheClockAgain()
    {
        var settled = new SettledFiles(TimeSpan.FromSeconds(1));

        settled.Observe([File(100, 0)], T0);
        Assert.Empty(settled.Observe([File(100, 1)], T0.AddSeconds(1)));
        Assert.Single(settled.Observe([File(100, 1)], T0.AddSeconds(2)));
    }

    [Fact]
    public void SettledFiles_AFileThatWentAwayAndCameBack_StartsOver()
    {
        var settled = new SettledFiles(TimeSpan.FromSeconds(1));

        settled.Observe([File(100)], T0);
        settled.Observe([], T0.AddSeconds(1));
        Assert.Empty(settled.Observe([File(100)], T0.AddSeconds(2)));
        Assert.Single(settled.Observe([File(100)], T0.AddSeconds(3)));
    }

    [Theory]
    [InlineData("tone.wav", "opus", 0, "tone.opus")]
    [InlineData("tone.wav", "opus", 2, "tone-2.opus")]
    [InlineData("movie.final.mkv", "mp4", 0, "movie.final.mp4")]
    [InlineData("noext", "webp", 0, "noext.webp")]
    [InlineData(".hidden", "opus", 0, "job1.opus")]
    [InlineData("../../etc/passwd", "opus", 0, "passwd.opus")]
    [InlineData("a.wav", "../x", 0, "a.x")]
    public void OutputNames_ArePlainFileNamesAfterTheInput(string name, string extension, int n, string expected) =>
        Assert.Equal(expected, OutputNames.Candidate(name, "job1", extension, n));

    [Fact]
    public void IdempotencyKey_IsTheSameForTheSameRequest_AndNewAfterAJobEndedWithoutOutput()
    {
        var digest = Sha256Digest.FromBytes(new byte[32]);

        var key = JobSubmitter.IdempotencyKey("client1", digest, "opus", 0);

        Assert.Equal(key, JobSubmitter.IdempotencyKey("client1", digest, "opus", 0));
        Assert.NotEqual(key, JobSubmitter.IdempotencyKey("client1", digest, "opus", 1));
        Assert.NotEqual(key, JobSubmitter.IdempotencyKey("client2", digest, "opus", 0));
        Assert.NotEqual(key, JobSubmitter.IdempotencyKey("client1", digest, "webp", 0));
        Assert.True(key.Length <= 200 && key.All(c => c is > ' ' and <= '~'));
    }
}
