namespace MediaFleet.Hosting.Tests;

public sealed class ByteRangeTests
{
    public static TheoryData<string?, long, RangeKind, long, long> Cases => new()
    {
        // header, size, kind, start, length
        { "bytes=0-99", 1000, RangeKind.Partial, 0, 100 },
        { "bytes=100-", 1000, RangeKind.Partial, 100, 900 },
        { "bytes=-50", 1000, RangeKind.Partial, 950, 50 },
        { "bytes=999-999", 1000, RangeKind.Partial, 999, 1 },
        { "bytes=0-0", 1, RangeKind.Partial, 0, 1 },
        { "bytes=900-5000", 1000, RangeKind.Partial, 900, 100 },
        { "bytes=-5000", 1000, RangeKind.Partial, 0, 1000 },
        { "BYTES=10-19", 1000, RangeKind.Partial, 10, 10 },
        { " bytes= 10 - 19 ", 1000, RangeKind.Partial, 10, 10 },
        { "bytes=1000-", 1000, RangeKind.Unsatisfiable, 0, 0 },
        { "bytes=1000-1999", 1000, RangeKind.Unsatisfiable, 0, 0 },
        { "bytes=5000-6000", 1000, RangeKind.Unsatisfiable, 0, 0 },
        { "bytes=-0", 1000, RangeKind.Unsatisfiable, 0, 0 },
        { "bytes=0-99", 0, RangeKind.Unsatisfiable, 0, 0 },
        { "bytes=0-", 0, RangeKind.Unsatisfiable, 0, 0 },
        { "bytes=-50", 0, RangeKind.Unsatisfiable, 0, 0 },
        { "bytes=99-0", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=0-9,20-29", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=0-9, -5", 1000, RangeKind.Whole, 0, 0 },
        { null, 1000, RangeKind.Whole, 0, 0 },
        { "", 1000, RangeKind.Whole, 0, 0 },
        { "   ", 1000, RangeKind.Whole, 0, 0 },
        { "garbage", 1000, RangeKind.Whole, 0, 0 },
        { "items=0-9", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=-", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=10", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=a-b", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=+1-5", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=0x10-20", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=-1-5", 1000, RangeKind.Whole, 0, 0 },
        { "bytes=99999999999999999999-", 1000, RangeKind.Whole, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Parse_Header_GivesRange(string? header, long size, RangeKind kind, long start, long length)
    {
        var range = ByteRange.Parse(header, size);

        Assert.Equal(new ByteRange(kind, start, length), range);
    }

    [Fact]
    public void End_OfPartialRange_IsLastByteIncluded()
    {
        var range = ByteRange.Parse("bytes=10-19", 1000);

        Assert.Equal(19, range.End);
    }
}
