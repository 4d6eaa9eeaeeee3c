using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace MediaFleet.Library.Digests;

/// <summary>A SHA-256 digest, kept as lowercase hex: the catalog's, the ETag's and sha256sum's spelling.</summary>
public readonly record struct Sha256Digest
{
    private Sha256Digest(string hex) => Hex = hex;

    public string Hex { get; }

    public override string ToString() => Hex;

    /// <summary>The value of a <c>Repr-Digest</c> header (RFC 9530): <c>sha-256=:base64:</c>.</summary>
    public string ToHeaderValue() => $"sha-256=:{Convert.ToBase64String(Convert.FromHexString(Hex))}:";

    public static Sha256Digest FromBytes(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("a SHA-256 digest is 32 bytes", nameof(hash));
        }
        return new Sha256Digest(Convert.ToHexStringLower(hash));
    }

    public static bool TryParseHex(string? text, [NotNullWhen(true)] out Sha256Digest? digest)
    {
        digest = null;
        if (text is null || text.Length != SHA256.HashSizeInBytes * 2)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }
        digest = new Sha256Digest(text.ToLowerInvariant());
        return true;
    }

    public static Sha256Digest ParseHex(string text) =>
        TryParseHex(text, out var digest) ? digest.Value : throw new FormatException($"'{text}' is not a SHA-256 hex digest");

    /// <summary>Hashes a whole file from disk.</summary>
    public static async Task<Sha256Digest> OfFileAsync(string file, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return FromBytes(hash);
    }
}
