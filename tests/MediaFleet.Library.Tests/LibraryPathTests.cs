using MediaFleet.Library.Paths;

namespace MediaFleet.Library.Tests;

public sealed class LibraryPathTests
{
    [Theory]
    [InlineData("a.mkv")]
    [InlineData("Movies/Alien (1979)/Alien.mkv")]
    [InlineData("Música/Björk – Homogenic/01 Hunter.flac")]
    [InlineData("a/.hidden")]
    [InlineData("a/..b/c")]
    [InlineData("mfleet/x")]
    [InlineData("x.mfleet")]
    [InlineData("a/.mfleet/b")]
    public void TryParse_ValidPath_IsAccepted(string text)
    {
        Assert.True(LibraryPath.TryParse(text, out var path, out var error), error);
        Assert.Equal(text, path.Value);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/etc/passwd", "relative")]
    [InlineData("..", "'..'")]
    [InlineData("../x", "'..'")]
    [InlineData("a/../../x", "'..'")]
    [InlineData("a/./b", "'.'")]
    [InlineData("./a", "'.'")]
    [InlineData("a//b", "empty")]
    [InlineData("a/", "empty")]
    [InlineData("a\\b", "backslash")]
    [InlineData("..\\..\\x", "backslash")]
    [InlineData("a\0b", "control")]
    [InlineData("a\u0001b", "control")]
    [InlineData("a\nb", "control")]
    [InlineData(".mfleet/catalog.db", ".mfleet")]
    [InlineData(".mfleet", ".mfleet")]
    [InlineData(".mfleetx/a", ".mfleet")]
    [InlineData(".mfleet/../x", "'..'")]
    public void TryParse_InvalidPath_IsRejectedWithReason(string text, string reason)
    {
        Assert.False(LibraryPath.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_PathOver1024Bytes_IsRejected()
    {
        var fits = string.Join('/', Enumerable.Repeat(new string('a', 99), 10)) + "/" + new string('b', 24);
        Assert.Equal(1024, fits.Length);
        Assert.True(LibraryPath.TryParse(fits, out _, out _));
        Assert.False(LibraryPath.TryParse(fits + "b", out _, out var error));
        Assert.Contains("1024", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MultiByteCharacters_CountAsUtf8Bytes()
    {
        var text = new string('é', 513); // 1026 UTF-8 bytes in 513 chars
        Assert.False(LibraryPath.TryParse(text, out _, out _));
    }

    [Fact]
    public void TryParse_LoneSurrogate_IsRejected()
    {
        Assert.False(LibraryPath.TryParse("a\ud800b", out _, out _));
    }

    [Theory]
    [InlineData("a/b/c.mkv", "a", true)]
    [InlineData("a/b/c.mkv", "a/", true)]
    [InlineData("a/b/c.mkv", "", true)]
    [InlineData("ab/c.mkv", "a", false)]
    [InlineData("a", "a", true)]
    public void IsUnder_ComparesWholeSegments(string text, string prefix, bool expected) =>
        Assert.Equal(expected, LibraryPath.Parse(text).IsUnder(prefix));
}
