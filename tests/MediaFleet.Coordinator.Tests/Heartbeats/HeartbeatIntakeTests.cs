using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Coordinator.Tests.Heartbeats;

/// <summary><c>POST /v1/heartbeats</c> and <c>GET /v1/nodes</c> on a real coordinator (DESIGN.md section 6).</summary>
public sealed class HeartbeatIntakeTests
{
    /// <summary>
    /// A long interval (DownAfter 3 minutes): nothing here may change with time, so two readings of
    /// <c>/v1/nodes</c> differ only by what the heartbeats did.
    /// </summary>
    private static Task<TestCoordinator> StartAsync() =>
        TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Coordinator:HeartbeatInterval"] = "60" });

    private static async Task<HttpResponseMessage> PostAsync(TestCoordinator coordinator, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await coordinator.Http.PostAsync("v1/heartbeats", content);
    }

    private static async Task<string> NodesJsonAsync(TestCoordinator coordinator)
    {
        using var response = await coordinator.Http.GetAsync("v1/nodes");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Post_ValidHeartbeat_Is204AndShowsInNodesWithEveryField()
    {
        await using var coordinator = await StartAsync();
        var before = TimeProvider.System.GetUtcNow();

        using var response = await PostAsync(coordinator, HeartbeatJson.Valid);
        var after = TimeProvider.System.GetUtcNow();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var nodes = await coordinator.Client.GetNodesAsync(CancellationToken.None);
        var node = Assert.Single(nodes);
        // Heard during the start-up grace, so published as computed: load 0.31 is below 0.7, no primary known.
        Assert.Equal(
            new NodeStateDto("b", "10.0.0.2:8470", "http://10.0.0.2:8470", "up", "ok", 0.31, 1207, 1209, Primary: false,
                ForceDown: false, ForceBackup: false, "home", 2, 912345678, node.LastSeen),
            node);
        Assert.InRange(node.LastSeen, before, after);
    }

    [Fact]
    public async Task GetNodes_NamesEveryFieldAsDesignSays()
    {
        await using var coordinator = await StartAsync();
        (await PostAsync(coordinator, HeartbeatJson.Valid)).Dispose();

        using var nodes = JsonDocument.Parse(await NodesJsonAsync(coordinator));

        var names = nodes.RootElement.EnumerateArray().Single().EnumerateObject().Select(p => p.Name).ToHashSet();
        string[] design = ["id", "address", "url", "state", "reason", "load", "version", "primary", "force_down", "force_backup", "site", "missing", "last_seen"];
        Assert.Empty(design.Except(names));
    }

    [Fact]
    public async Task Post_SecondHeartbeat_ReplacesTheValuesOfTheSameId()
    {
        await using var coordinator = await StartAsync();
        (await PostAsync(coordinator, HeartbeatJson.Valid)).Dispose();

        using var response = await PostAsync(coordinator, HeartbeatJson.With(("load", "0.9"), ("version", "1300"), ("site", "null")));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var node = Assert.Single(await coordinator.Client.GetNodesAsync(CancellationToken.None));
        Assert.Equal(("backup", "load 0.9 > 0.7", 0.9, 1300L, (string?)null), (node.State, node.Reason, node.Load, node.Version, node.Site));
    }

    [Theory]
    [MemberData(nameof(HeartbeatJson.Malformed), MemberType = typeof(HeartbeatJson))]
    public async Task Post_MalformedHeartbeat_Is400AndChangesNothing(string what, string body)
    {
        await using var coordinator = await StartAsync();
        var empty = await NodesJsonAsync(coordinator);

        using var refusedFirst = await PostAsync(coordinator, body);
        var afterFirst = await NodesJsonAsync(coordinator);
        // Now "b" is known with the example's values, and most malformed bodies speak for "b" with other ones.
        (await PostAsync(coordinator, HeartbeatJson.With(("load", "0.05"), ("version", "7"), ("force_backup", "true")))).Dispose();
        var known = await NodesJsonAsync(coordinator);
        using var refusedAgain = await PostAsync(coordinator, body);

        await ProblemAssert.IsAsync(refusedFirst, HttpStatusCode.BadRequest, ProblemTypes.InvalidHeartbeat);
        await ProblemAssert.IsAsync(refusedAgain, HttpStatusCode.BadRequest, ProblemTypes.InvalidHeartbeat);
        Assert.Equal("[]", empty);
        Assert.Equal(empty, afterFirst);
        Assert.Contains("\"version\":7,", known, StringComparison.Ordinal);
        Assert.True(known == await NodesJsonAsync(coordinator), what);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_OneMebibyteBody_Is400EvenThoughItIsValidJson(bool chunked)
    {
        await using var coordinator = await StartAsync();
        // A good heartbeat padded with blanks: the JSON alone would be accepted, so only its size can refuse it.
        var body = Encoding.UTF8.GetBytes(HeartbeatJson.Valid + new string(' ', 1 << 20));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/heartbeats") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // Chunked: no Content-Length to refuse up front, so the coordinator must stop reading past its limit.
        request.Headers.TransferEncodingChunked = chunked;

        using var response = await coordinator.Http.SendAsync(request);

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidHeartbeat);
        Assert.Equal("[]", await NodesJsonAsync(coordinator));
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized)]
    [InlineData("not-the-token", HttpStatusCode.Forbidden, ProblemTypes.Forbidden)]
    public async Task Post_WithoutTheClusterToken_IsRefusedAndChangesNothing(string? token, HttpStatusCode status, string slug)
    {
        await using var coordinator = await StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(coordinator.Url + "/") };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.PostAsync("v1/heartbeats", new StringContent(HeartbeatJson.Valid, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsAsync(response, status, slug);
        Assert.Equal("[]", await NodesJsonAsync(coordinator));
    }
}
