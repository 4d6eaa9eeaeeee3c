using MediaFleet.Cli.Doctor;

namespace MediaFleet.Cli.Tests;

/// <summary>The rules of `mfleet doctor` that need no disk or socket, as tables of cases.</summary>
public sealed class DoctorJudgementsTests
{
    private static readonly DateTimeOffset Sent = new(2026, 11, 23, 17, 0, 0, 300, TimeSpan.Zero);

    [Theory]
    // remote Date (whole seconds) minus the time the request was sent, round trip in ms, verdict
    [InlineData(0, 20, "ok")]
    [InlineData(-1, 20, "ok")] // the Date header truncates: a clock in step reads up to a second behind
    [InlineData(4, 20, "ok")]
    [InlineData(-5, 20, "ok")]
    [InlineData(7, 20, "FAIL")]
    [InlineData(-8, 20, "FAIL")]
    [InlineData(6, 3000, "ok")] // a slow answer: the remote clock may have been read at its end
    public void Clock_JudgesTheSkewFromTheDateHeader(int dateSeconds, int roundTripMs, string expected)
    {
        var date = new DateTimeOffset(Sent.Year, Sent.Month, Sent.Day, Sent.Hour, Sent.Minute, Sent.Second, TimeSpan.Zero).AddSeconds(dateSeconds);

        var finding = Judgements.Clock("node upstream clock", "http://b", date, Sent, Sent.AddMilliseconds(roundTripMs));

        Assert.Equal(expected, finding.Word);
    }

    [Fact]
    public void Clock_WithoutADateHeader_Warns() =>
        Assert.Equal("warn", Judgements.Clock("c", "http://b", null, Sent, Sent).Word);

    [Fact]
    public void Clock_SaysWhichWayItIsOff() =>
        Assert.Equal("FAIL  c: this machine's clock is 10 s behind http://b's: keep both in step (NTP, timedatectl)",
            Judgements.Clock("c", "http://b", Sent.AddSeconds(10), Sent, Sent.AddMilliseconds(20)).ToLine());

    [Theory]
    [InlineData(0b110_000_000, "ok")] // 600
    [InlineData(0b110_100_000, "ok")] // 640: the service's group may read it
    [InlineData(0b110_100_100, "FAIL")] // 644
    [InlineData(0b100_000_100, "FAIL")] // 404
    public void Secrecy_FailsWhenEveryUserMayRead(int mode, string expected) =>
        Assert.Equal(expected, Judgements.Secrecy("token", "/etc/mfleet/token", (UnixFileMode)mode).Word);

    [Theory]
    [InlineData(2_000, 1_000, "ok")]
    [InlineData(1_000, 1_000, "ok")]
    [InlineData(999, 1_000, "FAIL")]
    public void Space_FailsBelowTheReserve(long free, long reserve, string expected) =>
        Assert.Equal(expected, Judgements.Space("node free space", "/srv", free, reserve, "Node:ReserveBytes").Word);

    [Fact]
    public void Finding_PrintsOneAlignedLine()
    {
        Assert.Equal("ok    token: set", Finding.Ok("token", "set").ToLine());
        Assert.Equal("warn  user: root", Finding.Warn("user", "root").ToLine());
        Assert.Equal("FAIL  node listen: taken", Finding.Fail("node listen", "taken").ToLine());
    }
}
