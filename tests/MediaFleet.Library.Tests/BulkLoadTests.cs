using System.Security.Cryptography;
using MediaFleet.Library.Adopt;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Store;

namespace MediaFleet.Library.Tests;

/// <summary>A bulk load (provisioning, adopt) records its files without the digest index and builds it once at the end.</summary>
public sealed class BulkLoadTests
{
    [Fact]
    public async Task BeginBulkLoad_ManyNewFiles_DropsTheDigestIndexUntilTheScopeEnds_LookupsStillWork()
    {
        await using var f = new StoreFixture();
        var bytes = RandomNumberGenerator.GetBytes(3000);
        await f.PutAsync("a.bin", bytes);
        var digest = Sha256Digest.FromBytes(SHA256.HashData(bytes));

        var bulk = await f.Store.BeginBulkLoadAsync(LibraryStore.BulkLoadFrom, CancellationToken.None);

        Assert.False(f.Store.Catalog.HasDigestIndex);
        Assert.Equal("a.bin", f.Store.FindByDigest(digest)?.Path);
        await bulk.DisposeAsync();
        await bulk.DisposeAsync();
        Assert.True(f.Store.Catalog.HasDigestIndex);
        Assert.Equal("a.bin", f.Store.FindByDigest(digest)?.Path);
    }

    [Fact]
    public async Task BeginBulkLoad_FewerFilesThanTheThreshold_KeepsTheIndex()
    {
        await using var f = new StoreFixture();

        await using (await f.Store.BeginBulkLoadAsync(LibraryStore.BulkLoadFrom - 1, CancellationToken.None))
        {
            Assert.True(f.Store.Catalog.HasDigestIndex);
        }
    }

    [Fact]
    public async Task BeginBulkLoad_FewerFilesThanTheCatalogHolds_KeepsTheIndex()
    {
        await using var f = new StoreFixture();
        var held = LibraryStore.BulkLoadFrom + 1;
        f.Store.Catalog.CommitPuts([.. Enumerable.Range(0, (int)held).Select(i =>
            new PendingPut($"held/{i}.bin", Sha256Digest.FromBytes(SHA256.HashData(BitConverter.GetBytes(i))), 4, f.Time.GetUtcNow(), null))]);

        await using (await f.Store.BeginBulkLoadAsync(held - 1, CancellationToken.None))
        {
            Assert.True(f.Store.Catalog.HasDigestIndex);
        }
    }

    [Fact]
    public async Task BeginBulkLoad_BeforeTheIndexLoaded_CountsWhatTheCatalogHolds()
    {
        // A restarted follower loads its file index only after its first catch-up; a provisioning that a 410 starts
        // at once must still see the rows it holds (FileCount reads 0 until the loader has counted them).
        await using var f = new StoreFixture();
        var held = LibraryStore.BulkLoadFrom + 1;
        f.Store.Catalog.CommitPuts([.. Enumerable.Range(0, (int)held).Select(i =>
            new PendingPut($"held/{i}.bin", Sha256Digest.FromBytes(SHA256.HashData(BitConverter.GetBytes(i))), 4, f.Time.GetUtcNow(), null))]);
        await f.ReopenUnloadedAsync();

        Assert.Equal(held, f.Store.Catalog.CountStoredFiles());
        await using (await f.Store.BeginBulkLoadAsync(held - 1, CancellationToken.None))
        {
            Assert.True(f.Store.Catalog.HasDigestIndex);
        }
    }

    [Fact]
    public async Task Restart_AfterABulkLoadThatNeverEnded_BuildsTheDigestIndex()
    {
        await using var f = new StoreFixture();
        // The crash: the scope is never ended.
        _ = await f.Store.BeginBulkLoadAsync(LibraryStore.BulkLoadFrom, CancellationToken.None);
        Assert.False(f.Store.Catalog.HasDigestIndex);

        await f.RestartAsync(primary: false);

        Assert.True(f.Store.Catalog.HasDigestIndex);
    }

    [Fact]
    public async Task AdoptAsync_AsManyFilesAsTheThreshold_AdoptsEveryOne_AndLeavesTheDigestIndexBuilt()
    {
        await using var f = new StoreFixture();
        var count = (int)LibraryStore.BulkLoadFrom;
        for (var folder = 0; folder < count / 1000; folder++)
        {
            Directory.CreateDirectory(f.Physical($"d{folder}"));
            for (var i = 0; i < 1000; i++)
            {
                await File.WriteAllBytesAsync(f.Physical($"d{folder}/{i}.bin"), BitConverter.GetBytes(folder * 1000 + i));
            }
        }

        var events = await new Adopter(f.Store).AdoptAsync("", CancellationToken.None).ToListAsync();

        Assert.Equal(count, events.Count(e => e.Kind == AdoptEventKind.Adopted));
        Assert.Equal(new DataVersion(count), f.Store.Catalog.Version);
        Assert.True(f.Store.Catalog.HasDigestIndex);
        var wanted = Sha256Digest.FromBytes(SHA256.HashData(BitConverter.GetBytes(4321)));
        Assert.Equal("d4/321.bin", f.Store.FindByDigest(wanted)?.Path);
    }
}
