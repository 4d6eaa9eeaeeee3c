using System.Security.Cryptography;
using MediaFleet.Library.Store;
using MediaFleet.Testing;

namespace MediaFleet.Library.Tests;

/// <summary>The copier under sources that break off: what arrived is kept, hashed, for a resume.</summary>
public sealed class HashingCopierTests
{
    /// <summary>Hands out its bytes in small reads, then fails as a cut connection does.</summary>
    private sealed class BreakingStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer[..Math.Min(buffer.Length, 64 * 1024)], cancellationToken);
            return read > 0 ? read : throw new IOException("connection reset by peer");
        }
    }

    [Theory]
    [InlineData(700_000)]
    [InlineData(1 << 20)]
    [InlineData((3 << 20) + 12_345)]
    public async Task SourceFailingMidChunk_KeepsAndHashesEveryByteThatArrived(int arrived)
    {
        using var folder = new TempFolder();
        var bytes = RandomNumberGenerator.GetBytes(arrived);
        var target = Path.Combine(folder.Path, "partial");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var counted = 0L;

        await using (var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
        {
            await Assert.ThrowsAsync<IOException>(() => HashingCopier.CopyAsync(new BreakingStream(bytes), file, long.MaxValue, hash, n => counted += n, CancellationToken.None));
        }

        Assert.Equal(bytes, await File.ReadAllBytesAsync(target));
        Assert.Equal(SHA256.HashData(bytes), hash.GetHashAndReset());
        Assert.Equal(arrived, counted);
    }
}
