using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

public sealed class AdoptTests
{
    [Fact]
    public async Task Adopt_FilesPlacedByHand_AreRecordedAsPutsAndServed()
    {
        await using var node = await TestNode.StartAsync();
        var a = FileApi.Payload(100, seed: 1);
        var b = FileApi.Payload(200, seed: 2);
        Directory.CreateDirectory(Path.Combine(node.Library, "Movies"));
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "Movies", "a.mkv"), a);
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "b.mp4"), b);

        var lines = await AdoptAsync(node, "");

        Assert.Equal(["adopted", "adopted", "done"], lines.Select(l => l.GetProperty("event").GetString()).Order(StringComparer.Ordinal));
        var done = lines[^1];
        Assert.Equal("done", done.GetProperty("event").GetString());
        Assert.Equal(2, done.GetProperty("version").GetInt64());
        Assert.Equal(a, await node.Http.GetByteArrayAsync("files/Movies/a.mkv"));
        Assert.Equal(b, await node.Http.GetByteArrayAsync("files/b.mp4"));
        Assert.Equal(2, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task Adopt_SidecarThatDisagrees_ReportsAMismatchAndLeavesTheFileOut()
    {
        await using var node = await TestNode.StartAsync();
        var good = FileApi.Payload(100, seed: 1);
        var bad = FileApi.Payload(100, seed: 2);
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "good.mkv"), good);
        await File.WriteAllTextAsync(Path.Combine(node.Library, ".good.mkv.sha1"), Convert.ToHexStringLower(SHA1.HashData(good)) + "  good.mkv\n");
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "bad.mkv"), bad);
        await File.WriteAllTextAsync(Path.Combine(node.Library, ".bad.mkv.sha1"), Convert.ToHexStringLower(SHA1.HashData(good)) + "  bad.mkv\n");

        var lines = await AdoptAsync(node, "");

        var byPath = lines.Where(l => l.GetProperty("path").ValueKind == JsonValueKind.String)
            .ToDictionary(l => l.GetProperty("path").GetString()!, l => l.GetProperty("event").GetString());
        Assert.Equal("adopted", byPath["good.mkv"]);
        Assert.Equal("mismatch", byPath["bad.mkv"]);
        using var response = await node.Http.GetAsync("files/bad.mkv");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(1, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task Adopt_WithPrefix_AdoptsOnlyThatFolder()
    {
        await using var node = await TestNode.StartAsync();
        Directory.CreateDirectory(Path.Combine(node.Library, "Movies"));
        Directory.CreateDirectory(Path.Combine(node.Library, "Shows"));
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "Movies", "a.mkv"), FileApi.Payload(10, seed: 1));
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "Shows", "b.mkv"), FileApi.Payload(10, seed: 2));

        var lines = await AdoptAsync(node, "Movies");

        Assert.Equal(["Movies/a.mkv"], lines.Where(l => l.GetProperty("event").GetString() == "adopted").Select(l => l.GetProperty("path").GetString()));
        using var other = await node.Http.GetAsync("files/Shows/b.mkv");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData(".mfleet")]
    [InlineData("/etc")]
    [InlineData("a//b")]
    public async Task Adopt_InvalidPrefix_Is400InvalidPath(string prefix)
    {
        await using var node = await TestNode.StartAsync();

        using var response = await node.Http.PostAsync("v1/adopt?prefix=" + Uri.EscapeDataString(prefix), null);

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidPath);
        Assert.Equal(0, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task Adopt_PrefixThroughASymlinkLeadingOut_Is400AndAdoptsNothingOutside()
    {
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        await File.WriteAllTextAsync(sibling.Combine("secret.txt"), "SECRET");
        Directory.CreateSymbolicLink(Path.Combine(node.Library, "outside"), sibling.Path);

        using var response = await node.Http.PostAsync("v1/adopt?prefix=outside", null);

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidPath);
        Assert.Equal(0, await FileApi.VersionAsync(node));
        var get = await RawHttp.SendAsync(node, "GET", "/files/outside/secret.txt");
        ProblemAssert.Is(get, 400, ProblemTypes.InvalidPath);
        Assert.DoesNotContain("SECRET", get.Text, StringComparison.Ordinal);
    }

    /// <summary>POST /v1/adopt and every NDJSON line of its answer.</summary>
    private static async Task<List<JsonElement>> AdoptAsync(TestNode node, string prefix)
    {
        using var response = await node.Http.PostAsync("v1/adopt?prefix=" + Uri.EscapeDataString(prefix), null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }
}
