using System.Net;
using System.Text;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

public sealed class AuthTests
{
    /// <summary>Routes DESIGN.md section 4 marks write or cluster: method, path, JSON body (null: none).</summary>
    public static TheoryData<string, string, string?> GuardedRoutes => new()
    {
        { "PUT", "files/a.mkv", "" },
        { "DELETE", "files/a.mkv", null },
        { "POST", "v1/moves", """{"from":"a.mkv","to":"b.mkv"}""" },
        { "GET", "v1/changes?since=0", null },
        { "GET", "v1/manifest", null },
        { "POST", "v1/adopt", null },
    };

    public static TheoryData<string, string> ReadRoutes => new()
    {
        { "GET", "files/a.mkv" },
        { "HEAD", "files/a.mkv" },
        { "GET", "v1/status" },
        { "GET", "v1/missing" },
    };

    [Theory]
    [MemberData(nameof(GuardedRoutes))]
    public async Task GuardedRoute_WithoutToken_Is401Unauthorized(string method, string path, string? body)
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(10));
        using var anonymous = node.Authorized(null);

        using var response = await SendAsync(anonymous, method, path, body);

        await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        Assert.Equal(1, await FileApi.VersionAsync(node));
        Assert.Equal(["a.mkv"], FileApi.LibraryFiles(node));
    }

    [Theory]
    [MemberData(nameof(GuardedRoutes))]
    public async Task GuardedRoute_WithWrongToken_Is403Forbidden(string method, string path, string? body)
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(10));
        using var stranger = node.Authorized("wrong");

        using var response = await SendAsync(stranger, method, path, body);

        await ProblemAssert.IsAsync(response, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        Assert.Equal(1, await FileApi.VersionAsync(node));
        Assert.Equal(["a.mkv"], FileApi.LibraryFiles(node));
    }

    [Theory]
    [InlineData("Basic dGVzdDp0ZXN0")]
    [InlineData("Bearer")]
    [InlineData("test-token-0123456789")]
    public async Task Put_WithAuthorizationThatIsNotABearerToken_Is401(string authorization)
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = node.Authorized(null);
        using var request = new HttpRequestMessage(HttpMethod.Put, "files/a.mkv") { Content = new ByteArrayContent([1, 2, 3]) };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await anonymous.SendAsync(request);

        await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Fact]
    public async Task Put_WithTokenWithASuffix_Is403()
    {
        await using var node = await TestNode.StartAsync();
        using var stranger = node.Authorized(TestNode.Token + "x");

        using var response = await stranger.PutAsync("files/a.mkv", new ByteArrayContent([1, 2, 3]));

        await ProblemAssert.IsAsync(response, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        await FileApi.AssertNothingWrittenAsync(node, "a.mkv", 0);
    }

    [Theory]
    [MemberData(nameof(ReadRoutes))]
    public async Task ReadRoute_WithoutToken_IsOpenByDefault(string method, string path)
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(10));
        using var anonymous = node.Authorized(null);

        using var response = await SendAsync(anonymous, method, path, null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(ReadRoutes))]
    public async Task ReadRoute_WithProtectReadsAndNoToken_Is401(string method, string path)
    {
        await using var node = await TestNode.StartAsync(settings: ProtectReads);
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(10));
        using var anonymous = node.Authorized(null);

        using var response = await SendAsync(anonymous, method, path, null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        if (method != "HEAD")
        {
            await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        }
    }

    [Theory]
    [MemberData(nameof(ReadRoutes))]
    public async Task ReadRoute_WithProtectReadsAndWrongToken_Is403(string method, string path)
    {
        await using var node = await TestNode.StartAsync(settings: ProtectReads);
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(10));
        using var stranger = node.Authorized("wrong");

        using var response = await SendAsync(stranger, method, path, null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        if (method != "HEAD")
        {
            await ProblemAssert.IsAsync(response, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        }
    }

    [Theory]
    [MemberData(nameof(ReadRoutes))]
    public async Task ReadRoute_WithProtectReadsAndTheToken_Is200(string method, string path)
    {
        await using var node = await TestNode.StartAsync(settings: ProtectReads);
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(10));

        using var response = await SendAsync(node.Http, method, path, null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_TraversalWithoutTokenUnderProtectReads_Is401BeforeThePathIsLookedAt()
    {
        await using var node = await TestNode.StartAsync(settings: ProtectReads);
        await using var connection = await RawConnection.OpenAsync(node);

        await connection.WriteHeadAsync("GET", "/files/../../etc/passwd", ["Connection: close"]);
        var response = await connection.ReadResponseAsync();

        ProblemAssert.Is(response, 401, ProblemTypes.Unauthorized);
    }

    private static Dictionary<string, string?> ProtectReads => new() { ["Auth:ProtectReads"] = "true" };

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string method, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        return await http.SendAsync(request);
    }
}
