using System.Globalization;

namespace MediaFleet.Hosting;

/// <summary>What a <c>Range</c> header asks of a representation of a known length (RFC 9110 section 14).</summary>
public enum RangeKind
{
    /// <summary>No usable range (absent, not bytes, malformed or several ranges): send the whole file.</summary>
    Whole,
    /// <summary>One satisfiable range: send 206 with these bytes.</summary>
    Partial,
    /// <summary>No byte of the range exists: send 416.</summary>
    Unsatisfiable,
}

/// <summary>A parsed single byte range: the first byte and how many.</summary>
public readonly record struct ByteRange(RangeKind Kind, long Start, long Length)
{
    public static readonly ByteRange Whole = new(RangeKind.Whole, 0, 0);
    public static readonly ByteRange Unsatisfiable = new(RangeKind.Unsatisfiable, 0, 0);

    public long End => Start + Length - 1;

    /// <summary>Parses <paramref name="header"/> against a file of <paramref name="size"/> bytes.</summary>
    public static ByteRange Parse(string? header, long size)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return Whole;
        }
        var text = header.Trim();
        if (!text.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return Whole;
        }
        var spec = text[6..].Trim();
        // Several ranges (multipart/byteranges) are optional in DESIGN.md: the whole file is a valid answer.
        if (spec.Contains(',', StringComparison.Ordinal))
        {
            return Whole;
        }
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return Whole;
        }
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            // Suffix range: the last N bytes.
            if (!TryDigits(last, out var suffix))
            {
                return Whole;
            }
            if (suffix == 0 || size == 0)
            {
                return Unsatisfiable;
            }
            var length = Math.Min(suffix, size);
            return new ByteRange(RangeKind.Partial, size - length, length);
        }
        if (!TryDigits(first, out var start))
        {
            return Whole;
        }
        long end;
        if (last.Length == 0)
        {
            end = size - 1;
        }
        else if (!TryDigits(last, out end) || end < start)
        {
            return Whole;
        }
        if (start >= size)
        {
            return Unsatisfiable;
        }
        end = Math.Min(end, size - 1);
        return new ByteRange(RangeKind.Partial, start, end - start + 1);
    }

    private static bool TryDigits(string text, out long value)
    {
        value = 0;
        return text.Length > 0 && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
