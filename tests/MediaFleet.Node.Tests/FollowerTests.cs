using System.Net;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>A follower's file API: writes go up the tree with 307 (DESIGN.md sections 4 and 5).</summary>
public sealed class FollowerTests
{
    // Nothing listens here: the follower must only name it, never call it, for these answers.
    private const string Upstream = "http://127.0.0.1:9/";

    private static Task<TestNode> StartFollowerAsync() =>
        TestNode.StartAsync(settings: new Dictionary<string, string?> { ["Node:Primary"] = "false", ["Node:Upstream"] = Upstream });

    [Theory]
    [InlineData("PUT", "/files/Movies/a%20b.mkv")]
    [InlineData("DELETE", "/files/Movies/a%20b.mkv")]
    public async Task Write_OnAFollower_Is307ToTheSameTargetUpstream(string method, string target)
    {
        await using var node = await StartFollowerAsync();

        var response = await RawHttp.SendAsync(node, method, target, method == "PUT" ? FileApi.Payload(10) : null);

        Assert.Equal(307, response.Status);
        Assert.Equal("http://127.0.0.1:9" + target, response.Header("Location"));
        Assert.Empty(FileApi.LibraryFiles(node));
        FileApi.AssertTempEmpty(node);
        Assert.Equal(0, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task Move_OnAFollower_Is307ToTheUpstreamMoves()
    {
        await using var node = await StartFollowerAsync();

        var response = await RawHttp.SendAsync(node, "POST", "/v1/moves", """{"from":"a.mkv","to":"b.mkv"}"""u8.ToArray(), "Content-Type: application/json");

        Assert.Equal(307, response.Status);
        Assert.Equal("http://127.0.0.1:9/v1/moves", response.Header("Location"));
    }

    [Fact]
    public async Task Put_TraversalOnAFollower_Is400NotARedirect()
    {
        await using var node = await StartFollowerAsync();

        var response = await RawHttp.SendAsync(node, "PUT", "/files/../x.mkv", FileApi.Payload(10));

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidPath);
        Assert.Null(response.Header("Location"));
    }

    [Fact]
    public async Task Put_OnAFollowerWithoutToken_Is401NotARedirect()
    {
        await using var node = await StartFollowerAsync();
        using var anonymous = node.Authorized(null);

        using var response = await anonymous.PutAsync("files/a.mkv", new ByteArrayContent([1]));

        await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task Adopt_OnAFollower_IsNotPrimary()
    {
        await using var node = await StartFollowerAsync();

        using var response = await node.Http.PostAsync("v1/adopt", null);

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.NotPrimary);
    }

    [Fact]
    public async Task Status_OnAFollower_NamesItsUpstream()
    {
        await using var node = await StartFollowerAsync();

        var status = await node.Client.GetStatusAsync(CancellationToken.None);

        Assert.False(status.Primary);
        Assert.Equal(Upstream, status.Upstream);
    }
}
