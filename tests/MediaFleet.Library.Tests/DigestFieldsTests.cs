using System.Security.Cryptography;
using MediaFleet.Library.Digests;

namespace MediaFleet.Library.Tests;

public sealed class DigestFieldsTests
{
    private static readonly byte[] Hash = SHA256.HashData("hello"u8);
    private static readonly string B64 = Convert.ToBase64String(Hash);

    public static TheoryData<string?, DigestFieldStatus> Cases => new()
    {
        { null, DigestFieldStatus.Absent },
        { "", DigestFieldStatus.Absent },
        { "sha-512=:AAAA:", DigestFieldStatus.Absent },
        { $"sha-256=:{B64}:", DigestFieldStatus.Found },
        { $"sha-512=:AAAA:, sha-256=:{B64}:", DigestFieldStatus.Found },
        { $" sha-256=:{B64}: ", DigestFieldStatus.Found },
        { $"sha-256={B64}", DigestFieldStatus.Malformed },
        { "sha-256=:not base64!:", DigestFieldStatus.Malformed },
        { "sha-256=:AAAA:", DigestFieldStatus.Malformed },
        { "garbage", DigestFieldStatus.Malformed },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TryGetSha256_ReadsTheSha256Member(string? header, DigestFieldStatus expected)
    {
        var status = DigestFields.TryGetSha256(header, out var digest);

        Assert.Equal(expected, status);
        if (expected == DigestFieldStatus.Found)
        {
            Assert.Equal(Convert.ToHexStringLower(Hash), digest.Hex);
        }
    }

    [Fact]
    public void ToHeaderValue_RoundTripsThroughTheParser()
    {
        var digest = Sha256Digest.FromBytes(Hash);
        Assert.Equal($"sha-256=:{B64}:", digest.ToHeaderValue());
        Assert.Equal(DigestFieldStatus.Found, DigestFields.TryGetSha256(digest.ToHeaderValue(), out var parsed));
        Assert.Equal(digest, parsed);
    }

    [Theory]
    [InlineData("2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824", true)]
    [InlineData("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982", false)]
    [InlineData("zz f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", false)]
    public void TryParseHex_AcceptsOnly64HexDigits(string text, bool valid)
    {
        Assert.Equal(valid, Sha256Digest.TryParseHex(text, out var digest));
        if (valid)
        {
            Assert.Equal(text.ToLowerInvariant(), digest!.Value.Hex);
        }
    }
}
