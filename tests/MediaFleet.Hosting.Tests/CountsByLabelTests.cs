using MediaFleet.Hosting;

namespace MediaFleet.Contracts.Tests;

public sealed class CountsByLabelTests
{
    [Fact]
    public void Measurements_ShowKnownValuesAtZero_AndCountEveryValue()
    {
        var counts = new CountsByLabel("event", "written", "test_failed");

        counts.Add("test_failed");
        counts.Add("test_failed");
        counts.Add("restored"); // not known up front: counted from its first occurrence

        var measured = counts.Measurements().ToDictionary(m => (string)m.Tags[0].Value!, m => m.Value);
        Assert.Equal(new Dictionary<string, long> { ["written"] = 0, ["test_failed"] = 2, ["restored"] = 1 }, measured);
        Assert.All(counts.Measurements(), m => Assert.Equal("event", m.Tags[0].Key));
    }
}
