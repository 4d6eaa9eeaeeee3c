using System.Text;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Coordinator.Heartbeats;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Tests.Heartbeats;

/// <summary>The strict reading and the value checks of a heartbeat (DESIGN.md section 6), pure.</summary>
public sealed class HeartbeatRulesTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 23, 17, 0, 1, TimeSpan.Zero);

    private static readonly HeartbeatDto Good = new("b", "10.0.0.2:8470", "http://10.0.0.2:8470", 0.31, 1207, false, false, false);

    private static (bool Ok, Heartbeat Heartbeat, string Error) Read(string body)
    {
        var ok = HeartbeatRules.TryRead(Encoding.UTF8.GetBytes(body), ReceivedAt, out var heartbeat, out var error);
        return (ok, heartbeat, error);
    }

    [Fact]
    public void TryRead_TheDesignExample_ReadsEveryField()
    {
        var (ok, heartbeat, error) = Read(HeartbeatJson.Valid);

        Assert.True(ok, error);
        var expected = new Heartbeat("b", "10.0.0.2:8470", "http://10.0.0.2:8470", 0.31, 1207, 1209, Primary: false, ForceDown: false,
            ForceBackup: false, "home", 2, 912345678, new DateTimeOffset(2026, 11, 23, 17, 0, 0, TimeSpan.Zero), ReceivedAt);
        Assert.Equal(expected, heartbeat);
    }

    [Fact]
    public void TryRead_OnlyTheRequiredFields_DefaultsTheRestAndTakesSentAtAsReceivedAt()
    {
        var body = """{"id":"b","address":"10.0.0.2:8470","url":"http://10.0.0.2:8470","load":0,"version":0,"primary":true,"force_down":true,"force_backup":true}""";

        var (ok, heartbeat, error) = Read(body);

        Assert.True(ok, error);
        Assert.Equal(
            new Heartbeat("b", "10.0.0.2:8470", "http://10.0.0.2:8470", 0, 0, 0, Primary: true, ForceDown: true, ForceBackup: true, "", 0, 0, ReceivedAt, ReceivedAt),
            heartbeat);
    }

    [Theory]
    [InlineData("site", "null")]
    [InlineData("sent_at", "null")]
    [InlineData("load", "0")]
    [InlineData("load", "-0.0")]
    [InlineData("address", "\"[::1]:8470\"")]
    [InlineData("address", "\"nas.local:8470\"")]
    [InlineData("url", "\"https://nas.local:8470/\"")]
    public void TryRead_OptionalNullsAndEdgeValues_AreAccepted(string field, string value)
    {
        var (ok, _, error) = Read(HeartbeatJson.With(field, value));

        Assert.True(ok, error);
    }

    [Theory]
    [MemberData(nameof(HeartbeatJson.NotAHeartbeat), MemberType = typeof(HeartbeatJson))]
    public void TryRead_NotAHeartbeat_IsRefusedWithOneLine(string what, string body)
    {
        var (ok, _, error) = Read(body);

        Assert.False(ok, what);
        Assert.False(string.IsNullOrWhiteSpace(error), what);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [MemberData(nameof(HeartbeatJson.OutOfRange), MemberType = typeof(HeartbeatJson))]
    public void TryRead_ValueOutOfRange_IsRefusedNamingTheField(string what, string body, string refusal)
    {
        var (ok, _, error) = Read(body);

        Assert.False(ok, what);
        Assert.StartsWith(refusal, error, StringComparison.Ordinal);
    }

    public static TheoryData<string, HeartbeatDto, string?> Checks() => new()
    {
        { "the good heartbeat", Good, null },
        { "an id of 64 characters", Good with { Id = new string('x', 64) }, null },
        { "an id with '-', '_' and '.'", Good with { Id = "node-1_b.x" }, null },
        { "an id of 65 characters", Good with { Id = new string('x', 65) }, "id must" },
        { "an id with a colon", Good with { Id = "b:1" }, "id must" },
        { "an address of 255 characters", Good with { Address = new string('a', 250) + ":8470" }, null },
        { "an address of 256 characters", Good with { Address = new string('a', 251) + ":8470" }, "address must" },
        { "an address with a tab", Good with { Address = "10.0.0.2:\t8470" }, "address must" },
        { "an address with a quote", Good with { Address = "'10.0.0.2:8470'" }, "address must" },
        { "an https url", Good with { Url = "https://10.0.0.2:8470" }, null },
        { "a url of 2049 characters", Good with { Url = "http://10.0.0.2:8470/" + new string('p', 2028) }, "url must" },
        { "a load of zero", Good with { Load = 0 }, null },
        { "a load of a million", Good with { Load = 1_000_000 }, null },
        { "a load above a million", Good with { Load = 1_000_001 }, "load must" },
        { "a NaN load", Good with { Load = double.NaN }, "load must" },
        { "an infinite load", Good with { Load = double.PositiveInfinity }, "load must" },
        { "a negative load", Good with { Load = -0.01 }, "load must" },
        { "version zero", Good with { Version = 0 }, null },
        { "a negative version", Good with { Version = -1 }, "version, seen_version" },
        { "a site of 64 characters", Good with { Site = new string('s', 64) }, null },
        { "an empty site", Good with { Site = "" }, null },
        { "a site with a newline", Good with { Site = "ho\nme" }, "site must" },
    };

    [Theory]
    [MemberData(nameof(Checks))]
    public void Check_Values_RefusesTheFirstOutOfRange(string what, HeartbeatDto heartbeat, string? refusal)
    {
        var error = HeartbeatRules.Check(heartbeat);

        if (refusal is null)
        {
            Assert.True(error is null, $"{what}: {error}");
        }
        else
        {
            Assert.NotNull(error);
            Assert.StartsWith(refusal, error, StringComparison.Ordinal);
        }
    }
}
