using MediaFleet.Library.Catalog;

namespace MediaFleet.Library.Tests;

public sealed class EntryTextTests
{
    [Theory]
    [InlineData("2026-12-02T01:14:06.123Z", 2026, 12, 2, 1, 14, 6, 123)]
    [InlineData("2024-02-29T23:59:59.999Z", 2024, 2, 29, 23, 59, 59, 999)]
    [InlineData("2026-12-02T01:14:06Z", 2026, 12, 2, 1, 14, 6, 0)]
    [InlineData("2026-12-02T02:14:06.5+01:00", 2026, 12, 2, 1, 14, 6, 500)]
    public void ParseTime_ReadsTheCatalogsSpelling_AndOtherIso8601(string text, int y, int mo, int d, int h, int mi, int s, int ms) =>
        Assert.Equal(new DateTimeOffset(y, mo, d, h, mi, s, ms, TimeSpan.Zero), EntryText.ParseTime(text));

    [Fact]
    public void ParseTime_ReadsBackWhatToTextWrote()
    {
        var at = new DateTimeOffset(2026, 3, 4, 5, 6, 7, 89, TimeSpan.Zero);
        Assert.Equal(at, EntryText.ParseTime(at.ToText()));
    }

    [Theory]
    [InlineData("2026-02-30T01:14:06.123Z")]
    [InlineData("2026-13-02T01:14:06.123Z")]
    [InlineData("2026-1x-02T01:14:06.123Z")]
    public void ParseTime_RefusesWhatIsNoTime(string text) =>
        Assert.Throws<FormatException>(() => EntryText.ParseTime(text));
}
