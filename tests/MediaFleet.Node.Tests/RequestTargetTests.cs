using MediaFleet.Node.Files;

namespace MediaFleet.Node.Tests;

public sealed class RequestTargetTests
{
    public static TheoryData<string, string?> Decodes => new()
    {
        // raw target, decoded library path (null: not UTF-8)
        { "/files/a.mkv", "a.mkv" },
        { "/files/Movies/Alien%20(1979)/Alien.mkv", "Movies/Alien (1979)/Alien.mkv" },
        { "/files/a.mkv?x=1&y=2", "a.mkv" },
        { "/files/a%3Fb", "a?b" },
        { "/files/%2e%2e", ".." },
        { "/files/%2E%2e%2Fx", "../x" },
        { "/files/..%5cx", "..\\x" },
        { "/files/a%00b", "a\0b" },
        { "/files/a%01b", "a\u0001b" },
        { "/files/%C3%A9t%C3%A9.mkv", "été.mkv" },
        { "/files/%e2%82%ac", "€" },
        { "/files/%f0%9f%8e%ac.mp4", "🎬.mp4" },
        { "/files/100%25", "100%" },
        { "/files/a%2", "a%2" },
        { "/files/a%", "a%" },
        { "/files/a%zz", "a%zz" },
        { "/files/a%41", "aA" },
        { "/files/été.mkv", "été.mkv" },
        { "/files/a b", "a b" },
        { "/files//etc/passwd", "/etc/passwd" },
        { "/files/", "" },
        { "/files", "" },
        { "/files?x=1", "" },
        { "/files/%ff", null },
        { "/files/a%c3", null },
        { "/files/%c0%ae%c0%ae", null },
        { "/files/%ed%a0%80", null },
    };

    [Theory]
    [MemberData(nameof(Decodes))]
    public void DecodePath_RawTarget_GivesPercentDecodedPath(string rawTarget, string? expected)
    {
        var path = RequestTarget.DecodePath(rawTarget);

        Assert.Equal(expected, path);
    }

    [Theory]
    [InlineData("/files/a", true)]
    [InlineData("/files/", true)]
    [InlineData("/files", true)]
    [InlineData("/filesx", false)]
    [InlineData("/files2/a", false)]
    [InlineData("/v1/status", false)]
    [InlineData("/FILES/a", false)]
    public void IsFileRoute_RawTarget_MatchesOnlyTheFilesPrefix(string rawTarget, bool expected)
    {
        Assert.Equal(expected, RequestTarget.IsFileRoute(rawTarget));
    }
}
