using MediaFleet.Library.Catalog;

namespace MediaFleet.Library.Tests;

public sealed class CopyChangeTrackerTests
{
    [Fact]
    public void TouchedAfter_ListsEachPathOnceAtItsLatestTouch_InOrder()
    {
        var tracker = new CopyChangeTracker();
        tracker.Touch("a");
        tracker.Touch("b");
        var since = tracker.Sequence;
        tracker.Touch("c");
        tracker.Touch("a");
        tracker.Touch("c");

        Assert.Equal(["a", "c"], tracker.TouchedAfter(since));
        Assert.Equal(["b", "a", "c"], tracker.TouchedAfter(0));
        Assert.Empty(tracker.TouchedAfter(tracker.Sequence));
    }

    [Fact]
    public void ManyDistinctPaths_StartANewEpoch_InsteadOfGrowingWithTheLibrary()
    {
        var tracker = new CopyChangeTracker();
        var first = tracker.Epoch;
        for (var i = 0; i < CopyChangeTracker.Limit; i++)
        {
            tracker.Touch("f" + i);
        }
        Assert.Equal(first, tracker.Epoch);
        var before = tracker.Sequence;

        tracker.Touch("one-more");

        Assert.NotEqual(first, tracker.Epoch);
        Assert.Equal(["one-more"], tracker.TouchedAfter(0));
        Assert.Equal(before + 1, tracker.Position.Sequence);
    }
}
