using System.Security.Cryptography;
using MediaFleet.Library.Adopt;
using MediaFleet.Library.Catalog;

namespace MediaFleet.Library.Tests;

public sealed class AdopterTests
{
    [Fact]
    public async Task AdoptAsync_FilesWithAndWithoutSidecars_AdoptsAllButTheMismatchInPlace()
    {
        await using var f = new StoreFixture();
        var good = RandomNumberGenerator.GetBytes(4096);
        var bad = RandomNumberGenerator.GetBytes(4096);
        var plain = RandomNumberGenerator.GetBytes(100);
        Directory.CreateDirectory(f.Physical("Movies"));
        await File.WriteAllBytesAsync(f.Physical("Movies/good.mkv"), good);
        await File.WriteAllTextAsync(f.Physical("Movies/.good.mkv.sha1"), Convert.ToHexStringLower(SHA1.HashData(good)) + "  good.mkv\n");
        await File.WriteAllBytesAsync(f.Physical("Movies/bad.mkv"), bad);
        await File.WriteAllTextAsync(f.Physical("Movies/.bad.mkv.sha1"), Convert.ToHexStringLower(SHA1.HashData(good)));
        await File.WriteAllBytesAsync(f.Physical("plain.mp3"), plain);
        var before = Directory.EnumerateFiles(f.Folder, "*", SearchOption.AllDirectories)
            .Where(p => !p.Contains("/.mfleet", StringComparison.Ordinal))
            .ToDictionary(p => p, p => (File.GetLastWriteTimeUtc(p), File.ReadAllBytes(p)));

        var events = await new Adopter(f.Store).AdoptAsync("", CancellationToken.None).ToListAsync();

        Assert.Equal(["Movies/good.mkv", "plain.mp3"], events.Where(e => e.Kind == AdoptEventKind.Adopted).Select(e => e.Path).Order(StringComparer.Ordinal));
        var mismatch = Assert.Single(events, e => e.Kind == AdoptEventKind.Mismatch);
        Assert.Equal("Movies/bad.mkv", mismatch.Path);
        Assert.Null(f.Store.Catalog.Find("Movies/bad.mkv"));
        Assert.Null(f.Store.Catalog.Find("Movies/.good.mkv.sha1"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(good)), f.Store.Catalog.Find("Movies/good.mkv")!.Sha256.Hex);
        Assert.Equal(new DataVersion(2), f.Store.Catalog.Version);
        Assert.Equal(AdoptEventKind.Done, events[^1].Kind);
        foreach (var (path, (mtime, bytes)) in before)
        {
            Assert.Equal(mtime, File.GetLastWriteTimeUtc(path));
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }
    }

    [Fact]
    public async Task AdoptAsync_Twice_AdoptsNothingTheSecondTime()
    {
        await using var f = new StoreFixture();
        await File.WriteAllBytesAsync(f.Physical("a.bin"), [1]);
        await new Adopter(f.Store).AdoptAsync("", CancellationToken.None).ToListAsync();

        var second = await new Adopter(f.Store).AdoptAsync("", CancellationToken.None).ToListAsync();

        Assert.DoesNotContain(second, e => e.Kind == AdoptEventKind.Adopted);
        Assert.Equal(new DataVersion(1), f.Store.Catalog.Version);
    }

    [Fact]
    public async Task AdoptAsync_WithPrefix_TouchesOnlyThatFolder()
    {
        await using var f = new StoreFixture();
        Directory.CreateDirectory(f.Physical("a"));
        Directory.CreateDirectory(f.Physical("b"));
        await File.WriteAllBytesAsync(f.Physical("a/1.bin"), [1]);
        await File.WriteAllBytesAsync(f.Physical("b/2.bin"), [2]);

        await new Adopter(f.Store).AdoptAsync("a", CancellationToken.None).ToListAsync();

        Assert.NotNull(f.Store.Catalog.Find("a/1.bin"));
        Assert.Null(f.Store.Catalog.Find("b/2.bin"));
    }

    [Theory]
    [InlineData("da39a3ee5e6b4b0d3255bfef95601890afd80709  file.mkv\n", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [InlineData("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [InlineData("not a digest", "")]
    [InlineData("", "")]
    public void ReadSidecar_TakesTheFirstWordWhenItIsASha1(string content, string expected)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, content);
            Assert.Equal(expected, Adopter.ReadSidecar(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
