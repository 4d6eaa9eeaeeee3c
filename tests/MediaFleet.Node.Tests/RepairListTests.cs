using MediaFleet.Node.Integrity;

namespace MediaFleet.Node.Tests;

public sealed class RepairListTests
{
    [Fact]
    public void First_PutsListedPathsFirst_KeepingEachPartsOrder()
    {
        var list = new RepairList();
        list.Replace(new HashSet<string>(["c", "a"]));

        var ordered = list.First(["a", "b", "c", "d"], p => p);

        Assert.Equal(["a", "c", "b", "d"], ordered);
    }

    [Fact]
    public void First_WithAnEmptyList_KeepsTheOrder()
    {
        Assert.Equal(["b", "a"], new RepairList().First(["b", "a"], p => p));
    }
}
