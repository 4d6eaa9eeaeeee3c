using MediaFleet.Library.Catalog;
using MediaFleet.Library.Scrub;
using Microsoft.Extensions.Time.Testing;

namespace MediaFleet.Library.Tests;

public sealed class ScrubberTests
{
    private static readonly TimeSpan CheckTtl = TimeSpan.FromDays(30);

    [Fact]
    public async Task Due_NothingWhileEveryCopyWasVerifiedWithinCheckTtl_ThenOldestVerifiedFirst()
    {
        await using var store = new StoreFixture();
        await PutADayApartAsync(store, "a.bin", "b.bin", "c.bin");
        var scrubber = new Scrubber(store.Store, store.Time);

        var early = scrubber.Due(CheckTtl, store.Time.GetUtcNow());
        var later = scrubber.Due(CheckTtl, store.Time.GetUtcNow() + TimeSpan.FromDays(29));

        Assert.Empty(early);
        Assert.Equal(["a.bin", "b.bin"], later.Select(f => f.Path)); // c was verified 29 days before: it waits
    }

    [Fact]
    public async Task Due_ACopyWhoseSizeOrMtimeChanged_GoesFirstWhateverItsAge()
    {
        await using var store = new StoreFixture();
        await store.PutAsync("old.bin", [1]);
        await store.PutAsync("touched.bin", [2]);
        File.SetLastWriteTimeUtc(store.Physical("touched.bin"), new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var scrubber = new Scrubber(store.Store, store.Time);

        var due = scrubber.Due(CheckTtl, store.Time.GetUtcNow() + CheckTtl);

        Assert.Equal(["touched.bin", "old.bin"], due.Select(f => f.Path));
    }

    [Fact]
    public async Task Due_UrgentPaths_JumpTheQueue_ButOnlyWhenDue()
    {
        await using var store = new StoreFixture();
        await PutADayApartAsync(store, "a.bin", "b.bin", "c.bin");
        var scrubber = new Scrubber(store.Store, store.Time);
        var urgent = new HashSet<string>(["b.bin", "c.bin"]);

        var due = scrubber.Due(CheckTtl, store.Time.GetUtcNow() + TimeSpan.FromDays(29), urgent);

        // b is due and urgent, so it goes before the older a; c is urgent but was verified 29 days ago: it waits.
        Assert.Equal(["b.bin", "a.bin"], due.Select(f => f.Path));
    }

    [Fact]
    public async Task CheckAsync_GoodCopy_RecordsVerifiedAt()
    {
        await using var store = new StoreFixture();
        await store.PutAsync("a.bin", [1, 2, 3]);
        store.Time.Advance(TimeSpan.FromDays(40));
        var scrubber = new Scrubber(store.Store, store.Time);

        var result = await scrubber.CheckAsync(store.Store.Catalog.Find("a.bin")!, null, CancellationToken.None);

        Assert.Equal((CheckOutcome.Good, 3L), (result.Outcome, result.Bytes));
        Assert.Equal(store.Time.GetUtcNow(), store.Store.Catalog.Find("a.bin")!.VerifiedAt);
    }

    [Theory]
    [InlineData("flip", "hash to")]
    [InlineData("grow", "4 bytes on disk, the catalog says 3")]
    [InlineData("remove", "absent from the folder")]
    public async Task CheckAsync_BadCopy_IsQuarantinedMarkedCorruptAndListedMissing(string damage, string finding)
    {
        await using var store = new StoreFixture();
        await store.PutAsync("m/a.bin", [1, 2, 3]);
        switch (damage)
        {
            case "flip": await File.WriteAllBytesAsync(store.Physical("m/a.bin"), [1, 2, 4]); break;
            case "grow": await File.WriteAllBytesAsync(store.Physical("m/a.bin"), [1, 2, 3, 4]); break;
            default: File.Delete(store.Physical("m/a.bin")); break;
        }
        var scrubber = new Scrubber(store.Store, store.Time);

        var result = await scrubber.CheckAsync(store.Store.Catalog.Find("m/a.bin")!, null, CancellationToken.None);

        Assert.Equal(CheckOutcome.Bad, result.Outcome);
        Assert.Contains(finding, result.Detail, StringComparison.Ordinal);
        Assert.Equal(FileState.Corrupt, store.Store.Catalog.Find("m/a.bin")!.State);
        var missing = store.Store.Catalog.FindMissing("m/a.bin")!;
        Assert.StartsWith("corrupt: ", missing.Reason, StringComparison.Ordinal);
        Assert.Equal(store.Store.Catalog.Find("m/a.bin")!.Sha256, missing.Sha256);
        Assert.False(File.Exists(store.Physical("m/a.bin")));
        var kept = Directory.GetFiles(Path.Combine(store.Folder, ".mfleet", "quarantine"), "a.bin", SearchOption.AllDirectories);
        Assert.Equal(damage == "remove" ? 0 : 1, kept.Length);
        Assert.All(kept, k => Assert.EndsWith(Path.Combine("m", "a.bin"), k, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CheckAsync_FileReplacedWhileRead_QuarantinesNothing()
    {
        await using var store = new StoreFixture();
        await store.PutAsync("a.bin", [1, 2, 3]);
        var checkedEntry = store.Store.Catalog.Find("a.bin")!;
        await store.PutAsync("a.bin", [9, 9, 9, 9]); // a new write lands after the scrubber took its entry
        var scrubber = new Scrubber(store.Store, store.Time);

        var result = await scrubber.CheckAsync(checkedEntry, null, CancellationToken.None);

        Assert.Equal(CheckOutcome.Changed, result.Outcome);
        Assert.Equal(FileState.Ok, store.Store.Catalog.Find("a.bin")!.State);
        Assert.Equal([9, 9, 9, 9], await File.ReadAllBytesAsync(store.Physical("a.bin")));
    }

    /// <summary>Writes one small file per name, a day apart on the fake clock (each is verified as it is written).</summary>
    private static async Task PutADayApartAsync(StoreFixture store, params string[] names)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (i > 0)
            {
                store.Time.Advance(TimeSpan.FromDays(1));
            }
            await store.PutAsync(names[i], [(byte)(i + 1)]);
        }
    }
}

public sealed class TokenBucketTests
{
    [Fact]
    public async Task TakeAsync_WithinOneSecondsWorth_DoesNotWait_AndBeyondWaitsForTheDebt()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1000, time);

        var first = bucket.TakeAsync(1000, CancellationToken.None);
        var second = bucket.TakeAsync(500, CancellationToken.None);

        Assert.True(first.IsCompletedSuccessfully);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await second;
    }

    [Fact]
    public async Task TakeAsync_ALongPause_BuysNoMoreThanOneSecondOfBurst()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1000, time);
        time.Advance(TimeSpan.FromHours(1));

        await bucket.TakeAsync(1000, CancellationToken.None);
        var next = bucket.TakeAsync(1, CancellationToken.None);

        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await next;
    }
}
