using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Problems;

namespace MediaFleet.Contracts.Tests;

public sealed class NodeClientTests
{
    [Theory]
    [InlineData("a.mkv", "files/a.mkv")]
    [InlineData("Movies/Alien (1979)/Alien.mkv", "files/Movies/Alien%20%281979%29/Alien.mkv")]
    [InlineData("100%/a#b?.mkv", "files/100%25/a%23b%3F.mkv")]
    [InlineData("Björk/ä.flac", "files/Bj%C3%B6rk/%C3%A4.flac")]
    public void FileUri_EscapesEachSegmentAndKeepsTheSlashes(string path, string expected) =>
        Assert.Equal(expected, NodeClient.FileUri(path));

    [Theory]
    [InlineData("urn:mediafleet:problem:digest-mismatch", "digest-mismatch")]
    [InlineData("https://tools.ietf.org/html/rfc9110#section-15.5.1", null)]
    [InlineData(null, null)]
    public void SlugOf_ReadsOnlyOurProblemTypes(string? type, string? slug) =>
        Assert.Equal(slug, ProblemTypes.SlugOf(type));

    [Fact]
    public void Uri_PrefixesTheSlug() =>
        Assert.Equal("urn:mediafleet:problem:invalid-path", ProblemTypes.Uri(ProblemTypes.InvalidPath));
}
