using System.Security.Cryptography;
using MediaFleet.Library.Digests;
using MediaFleet.Testing;

namespace MediaFleet.Library.Tests;

public sealed class Sha256DigestTests
{
    /// <summary>Sizes around the place where reads stop being done in place, and around the 1 MiB read size.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(Sha256Digest.ReadInPlaceUpTo - 1)]
    [InlineData(Sha256Digest.ReadInPlaceUpTo)]
    [InlineData(Sha256Digest.ReadInPlaceUpTo + 1)]
    [InlineData((1 << 20) + 7)]
    [InlineData(3 * (1 << 20))]
    public async Task OfFileAsync_AnySize_IsTheSha256OfEveryByte(int size)
    {
        using var folder = new TempFolder();
        var bytes = RandomNumberGenerator.GetBytes(size);
        var file = folder.Combine("f.bin");
        await File.WriteAllBytesAsync(file, bytes);

        var digest = await Sha256Digest.OfFileAsync(file, CancellationToken.None);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), digest.Hex);
    }
}
