using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace MediaFleet.Library.Paths;

/// <summary>A validated library path: relative, '/'-separated UTF-8, as DESIGN.md section 2 defines it.</summary>
public readonly record struct LibraryPath
{
    /// <summary>Longest path accepted, in UTF-8 bytes.</summary>
    public const int MaxBytes = 1024;

    /// <summary>The name of the folder that holds MediaFleet's own state; never part of the library.</summary>
    public const string StateFolder = ".mfleet";

    private LibraryPath(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    public static LibraryPath Parse(string text) =>
        TryParse(text, out var path, out var error) ? path : throw new FormatException(error);

    /// <summary>Checks every rule of a library path; <paramref name="error"/> says which one failed.</summary>
    public static bool TryParse(string? text, out LibraryPath path, [NotNullWhen(false)] out string? error)
    {
        path = default;
        error = Check(text);
        if (error is not null)
        {
            return false;
        }
        path = new LibraryPath(text!);
        return true;
    }

    private static string? Check(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "the path is empty";
        }
        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            return $"the path is longer than {MaxBytes} bytes";
        }
        if (text[0] == '/')
        {
            return "the path must be relative (no leading '/')";
        }
        foreach (var c in text)
        {
            if (c == '\\')
            {
                return "the path contains a backslash";
            }
            if (char.IsControl(c))
            {
                return "the path contains a NUL or control character";
            }
            if (char.IsSurrogate(c) && !IsWellFormed(text))
            {
                return "the path is not valid UTF-8";
            }
        }
        // Ranges over the text rather than Split: every file request checks its path, and this allocates nothing.
        foreach (var range in text.AsSpan().Split('/'))
        {
            var segment = text.AsSpan(range);
            if (segment.IsEmpty || segment is "." or "..")
            {
                return "the path has an empty, '.' or '..' segment";
            }
        }
        // The first segment starts with ".mfleet" exactly when the path does: the name has no '/'.
        if (text.StartsWith(StateFolder, StringComparison.Ordinal))
        {
            return "paths under .mfleet are reserved";
        }
        return null;
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The folder part ("" at the top of the library).</summary>
    public string Directory => Value.LastIndexOf('/') is var i and >= 0 ? Value[..i] : "";

    public bool IsUnder(string prefix) =>
        prefix.Length == 0 || Value == prefix || Value.StartsWith(prefix.TrimEnd('/') + "/", StringComparison.Ordinal);
}
