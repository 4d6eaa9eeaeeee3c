using System.Text;

namespace MediaFleet.Node.Files;

/// <summary>
/// Reads the library path from the raw request target, before any server normalisation: Kestrel would resolve
/// "/files/../x" to "/x" and hide the attempt, and the path rules must see what the client sent.
/// </summary>
public static class RequestTarget
{
    public const string FilesPrefix = "/files/";

    public static bool IsFileRoute(string rawTarget) =>
        rawTarget.StartsWith(FilesPrefix, StringComparison.Ordinal) || rawTarget == "/files";

    /// <summary>The percent-decoded path after <c>/files/</c> (query removed); null when it is not valid UTF-8.</summary>
    public static string? DecodePath(string rawTarget)
    {
        var end = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var raw = end < 0 ? rawTarget : rawTarget[..end];
        raw = raw.Length > FilesPrefix.Length ? raw[FilesPrefix.Length..] : "";
        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '%' && i + 2 < raw.Length && char.IsAsciiHexDigit(raw[i + 1]) && char.IsAsciiHexDigit(raw[i + 2]))
            {
                bytes.Add(Convert.ToByte(raw.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (raw[i] < 0x80)
            {
                bytes.Add((byte)raw[i]);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(raw[i].ToString()));
            }
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
