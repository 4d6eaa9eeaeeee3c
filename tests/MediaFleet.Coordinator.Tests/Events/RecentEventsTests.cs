using MediaFleet.Contracts.Files;
using MediaFleet.Coordinator.Events;
using MediaFleet.Coordinator.Scores;
using Microsoft.Extensions.Time.Testing;

namespace MediaFleet.Coordinator.Tests.Events;

public sealed class RecentEventsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 17, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Newest_ListsNewestFirst_WithTheTimeOfEach()
    {
        var time = new FakeTimeProvider(Start);
        var events = new RecentEvents(time);

        events.Add(EventKind.State, "a", "up → backup: forced backup");
        time.Advance(TimeSpan.FromSeconds(3));
        events.Add(EventKind.Nginx, null, "file rewritten");

        Assert.Equal(
            [new ClusterEvent(Start + TimeSpan.FromSeconds(3), EventKind.Nginx, null, "file rewritten"), new ClusterEvent(Start, EventKind.State, "a", "up → backup: forced backup")],
            events.Newest());
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public void Add_BeyondTheCapacity_KeepsOnlyTheLastOnes()
    {
        var events = new RecentEvents(new FakeTimeProvider(Start));

        for (var i = 0; i < RecentEvents.Capacity * 3 + 7; i++)
        {
            events.Add(EventKind.State, null, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var newest = events.Newest();
        Assert.Equal(RecentEvents.Capacity, newest.Count);
        Assert.Equal(Enumerable.Range(RecentEvents.Capacity * 2 + 7, RecentEvents.Capacity).Reverse().Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            newest.Select(e => e.Text));
        Assert.Equal(["606", "605"], events.Newest(2).Select(e => e.Text));
        Assert.Equal(RecentEvents.Capacity * 3 + 7, events.Count);
    }

    [Fact]
    public void Add_ALongText_IsCutToMaxText()
    {
        var events = new RecentEvents(new FakeTimeProvider(Start));

        events.Add(EventKind.Nginx, null, new string('x', 10_000));

        var text = Assert.Single(events.Newest()).Text;
        Assert.Equal(RecentEvents.MaxText, text.Length);
        Assert.EndsWith("…", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_FromManyThreads_LosesNothingItShouldKeep()
    {
        var events = new RecentEvents(TimeProvider.System);

        await Parallel.ForAsync(0, 4, async (thread, _) =>
        {
            await Task.Yield();
            for (var i = 0; i < 1000; i++)
            {
                events.Add(EventKind.State, thread.ToString(System.Globalization.CultureInfo.InvariantCulture), "e");
            }
        });

        Assert.Equal(4000, events.Count);
        Assert.Equal(RecentEvents.Capacity, events.Newest().Count(e => e.Text == "e"));
    }

    [Theory]
    [InlineData("ok", "corrupt", "quarantine")]
    [InlineData(null, "corrupt", "quarantine")]
    [InlineData("missing", "corrupt", "quarantine")]
    [InlineData("corrupt", "ok", "heal")]
    [InlineData("corrupt", "corrupt", null)]
    [InlineData("ok", "ok", null)]
    [InlineData("missing", "ok", null)]
    [InlineData("corrupt", "missing", null)]
    public void CopyChanges_BetweenTwoGatherings_AreQuarantinesAndHeals(string? before, string after, string? expected)
    {
        var events = new RecentEvents(new FakeTimeProvider(Start));
        var changes = new CatalogGatherer.CopyChanges("b");

        changes.Compare(before, Copy("films/a.mkv", after));
        changes.Report(events);

        Assert.Equal(expected is null ? [] : [expected], events.Newest().Select(e => RecentEvents.Name(e.Kind)));
        Assert.All(events.Newest(), e => Assert.Equal("b", e.Server));
        Assert.All(events.Newest(), e => Assert.Contains("films/a.mkv", e.Text, StringComparison.Ordinal));
    }

    [Fact]
    public void CopyChanges_ManyAtOnce_AreSummedUpAfterAFew()
    {
        var events = new RecentEvents(new FakeTimeProvider(Start));
        var changes = new CatalogGatherer.CopyChanges("b");

        for (var i = 0; i < 1000; i++)
        {
            changes.Compare("ok", Copy($"f{i}", "corrupt"));
        }
        changes.Report(events);

        var newest = events.Newest();
        Assert.Equal(CatalogGatherer.EventsPerKind + 1, newest.Count);
        Assert.Equal($"and {1000 - CatalogGatherer.EventsPerKind} more copies quarantined", newest[0].Text);
    }

    private static CopyDto Copy(string path, string state) => new(path, new string('a', 64), 1, 1, null, state);
}
