using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace MediaFleet.Node.Files;

/// <summary>
/// Reads the library path from the raw request target, before any server normalisation: Kestrel would resolve
/// "/files/../x" to "/x" and hide the attempt, and the path rules must see what the client sent.
/// </summary>
public static class RequestTarget
{
    public const string FilesPrefix = "/files/";

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    public static bool IsFileRoute(string rawTarget) =>
        rawTarget.StartsWith(FilesPrefix, StringComparison.Ordinal) || rawTarget == "/files";

    /// <summary>The percent-decoded path after <c>/files/</c> (query removed); null when it is not valid UTF-8.</summary>
    public static string? DecodePath(string rawTarget)
    {
        var end = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var raw = rawTarget.AsSpan(0, end < 0 ? rawTarget.Length : end);
        raw = raw.Length > FilesPrefix.Length ? raw[FilesPrefix.Length..] : [];
        // Most targets are plain ASCII without escapes: the path is the text itself, no byte round trip needed.
        if (!raw.Contains('%') && Ascii.IsValid(raw))
        {
            return raw.ToString();
        }
        var bytes = new List<byte>(raw.Length);
        Span<byte> encoded = stackalloc byte[4];
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '%' && i + 2 < raw.Length && char.IsAsciiHexDigit(raw[i + 1]) && char.IsAsciiHexDigit(raw[i + 2]))
            {
                bytes.Add(byte.Parse(raw.Slice(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                i += 2;
            }
            else if (raw[i] < 0x80)
            {
                bytes.Add((byte)raw[i]);
            }
            else
            {
                // One char at a time: each half of a surrogate pair becomes U+FFFD's bytes.
                bytes.AddRange(encoded[..Encoding.UTF8.GetBytes(raw.Slice(i, 1), encoded)]);
            }
        }
        try
        {
            return StrictUtf8.GetString(CollectionsMarshal.AsSpan(bytes));
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
