namespace MediaFleet.Library.Digests;

/// <summary>The outcome of reading a <c>Repr-Digest</c> or <c>Content-Digest</c> header.</summary>
public enum DigestFieldStatus
{
    /// <summary>No header, or no sha-256 member in it: nothing to check.</summary>
    Absent,
    /// <summary>A sha-256 member was found and decoded.</summary>
    Found,
    /// <summary>The header is not a dictionary of byte sequences, or its sha-256 member is not 32 bytes.</summary>
    Malformed,
}

/// <summary>Parses the RFC 9530 digest fields (a structured-field dictionary, RFC 8941) for the sha-256 member.</summary>
public static class DigestFields
{
    public static DigestFieldStatus TryGetSha256(string? header, out Sha256Digest digest)
    {
        digest = default;
        if (string.IsNullOrWhiteSpace(header))
        {
            return DigestFieldStatus.Absent;
        }
        foreach (var rawMember in header.Split(','))
        {
            var member = rawMember.Trim();
            var eq = member.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return DigestFieldStatus.Malformed;
            }
            var key = member[..eq].Trim();
            if (!string.Equals(key, "sha-256", StringComparison.Ordinal))
            {
                continue;
            }
            var value = member[(eq + 1)..].Trim();
            var semicolon = value.IndexOf(';', StringComparison.Ordinal);
            if (semicolon >= 0)
            {
                value = value[..semicolon];
            }
            if (value.Length < 2 || value[0] != ':' || value[^1] != ':')
            {
                return DigestFieldStatus.Malformed;
            }
            Span<byte> bytes = stackalloc byte[48];
            if (!Convert.TryFromBase64String(value[1..^1], bytes, out var written) || written != 32)
            {
                return DigestFieldStatus.Malformed;
            }
            digest = Sha256Digest.FromBytes(bytes[..written]);
            return DigestFieldStatus.Found;
        }
        return DigestFieldStatus.Absent;
    }
}
