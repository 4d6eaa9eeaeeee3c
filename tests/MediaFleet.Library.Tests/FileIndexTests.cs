using System.Security.Cryptography;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Tests;

/// <summary>Issue 12: the file index loads in the background; until it has, SQLite answers, and commits meanwhile win.</summary>
public sealed class FileIndexTests
{
    private static byte[] Bytes(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + seed)).ToArray();

    [Fact]
    public async Task BeforeTheIndexLoads_FindAndListAnswerFromSqlite()
    {
        await using var fixture = new StoreFixture();
        await fixture.PutAsync("a/one.bin", Bytes(10, 1));
        await fixture.PutAsync("b/two.bin", Bytes(20, 2));
        await fixture.ReopenUnloadedAsync();

        Assert.False(fixture.Store.Catalog.IndexLoaded.IsCompleted);
        Assert.Equal(Sha256Digest.FromBytes(SHA256.HashData(Bytes(10, 1))), fixture.Store.Catalog.Find("a/one.bin")!.Sha256);
        Assert.Null(fixture.Store.Catalog.Find("a/none.bin"));
        Assert.Equal(["a/one.bin", "b/two.bin"], fixture.Store.Catalog.ListFiles().Select(f => f.Path));
        Assert.Equal(["b/two.bin"], fixture.Store.Catalog.ListFiles("b").Select(f => f.Path));
    }

    [Fact]
    public async Task ADeleteCommittedBeforeTheLoad_IsNotBroughtBackByIt()
    {
        await using var fixture = new StoreFixture();
        await fixture.PutAsync("a/one.bin", Bytes(10, 1));
        await fixture.PutAsync("b/two.bin", Bytes(20, 2));
        await fixture.ReopenUnloadedAsync();

        await fixture.Store.DeleteAsync(LibraryPath.Parse("a/one.bin"), WriteCondition.None, CancellationToken.None);
        Assert.Null(fixture.Store.Catalog.Find("a/one.bin"));
        fixture.Store.Catalog.LoadIndex(CancellationToken.None);

        Assert.True(fixture.Store.Catalog.IndexLoaded.IsCompletedSuccessfully);
        Assert.Null(fixture.Store.Catalog.Find("a/one.bin"));
        Assert.Equal(1, fixture.Store.Catalog.FileCount);
        Assert.Equal(20, fixture.Store.Catalog.TotalBytes);
    }

    [Fact]
    public async Task APutCommittedBeforeTheLoad_KeepsItsNewBytesAfterIt()
    {
        await using var fixture = new StoreFixture();
        await fixture.PutAsync("a/one.bin", Bytes(10, 1));
        await fixture.ReopenUnloadedAsync();

        var replaced = await fixture.PutAsync("a/one.bin", Bytes(30, 3));
        fixture.Store.Catalog.LoadIndex(CancellationToken.None);

        Assert.Equal(WriteStatus.Replaced, replaced.Status);
        Assert.Equal(replaced.Entry!.Sha256, fixture.Store.Catalog.Find("a/one.bin")!.Sha256);
        Assert.Equal(30, fixture.Store.Catalog.TotalBytes);
        Assert.Equal(2, fixture.Store.Catalog.Find("a/one.bin")!.Version.Value);
    }

    [Fact]
    public async Task FindByDigest_FindsAHealthyCopyThroughTheDigestIndex_NotAScan()
    {
        await using var fixture = new StoreFixture();
        await fixture.PutAsync("a/one.bin", Bytes(10, 1));
        await fixture.PutAsync("b/same.bin", Bytes(10, 1));
        var digest = Sha256Digest.FromBytes(SHA256.HashData(Bytes(10, 1)));

        Assert.Contains(fixture.Store.FindByDigest(digest)!.Path, new[] { "a/one.bin", "b/same.bin" });
        await fixture.Store.DeleteAsync(LibraryPath.Parse("a/one.bin"), WriteCondition.None, CancellationToken.None);
        Assert.Equal("b/same.bin", fixture.Store.FindByDigest(digest)!.Path);
        Assert.Null(fixture.Store.FindByDigest(Sha256Digest.FromBytes(SHA256.HashData(Bytes(11, 1)))));

        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = fixture.Store.Root.CatalogFile, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var plan = connection.CreateCommand();
        plan.CommandText = "EXPLAIN QUERY PLAN SELECT path FROM files WHERE sha256 = 'x' AND state = 'ok'";
        await using var reader = await plan.ExecuteReaderAsync();
        var detail = "";
        while (await reader.ReadAsync())
        {
            detail += reader.GetString(3);
        }
        Assert.Contains("USING INDEX files_sha256", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentAdoptedFiles_AreCommittedTogether_EachWithItsOwnVersion()
    {
        await using var fixture = new StoreFixture();
        for (var i = 0; i < 300; i++)
        {
            Directory.CreateDirectory(fixture.Physical($"d{i % 7}"));
            await File.WriteAllBytesAsync(fixture.Physical($"d{i % 7}/f{i}.bin"), Bytes(100 + i, (byte)i));
        }
        var adopter = new MediaFleet.Library.Adopt.Adopter(fixture.Store);
        var lines = new List<MediaFleet.Library.Adopt.AdoptEvent>();
        await foreach (var line in adopter.AdoptAsync("", CancellationToken.None))
        {
            lines.Add(line);
        }

        var adopted = lines.Where(l => l.Kind == MediaFleet.Library.Adopt.AdoptEventKind.Adopted).ToList();
        Assert.Equal(300, adopted.Count);
        Assert.Equal(Enumerable.Range(1, 300).Select(v => (long)v), adopted.Select(l => l.Version!.Value).Order());
        Assert.Equal(Enumerable.Range(1, 300).Select(v => (long)v).Append(300), lines.Select(l => l.Done));
        Assert.Equal(300, fixture.Store.Catalog.Version.Value);
        var changes = await fixture.Store.Catalog.ReadChangesAsync(new(0), 1000, CancellationToken.None);
        Assert.Equal(adopted.Select(l => l.Path).Order(StringComparer.Ordinal), changes.Select(c => c.Path).Order(StringComparer.Ordinal));
        await fixture.RestartAsync();
        Assert.Equal(300, fixture.Store.Catalog.FileCount);
    }
}
