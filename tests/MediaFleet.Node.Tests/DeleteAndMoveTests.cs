using System.Net;
using System.Text;
using System.Text.Json;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

public sealed class DeleteAndMoveTests
{
    [Fact]
    public async Task Delete_ExistingFile_Is204ThenGetAndDeleteAre404()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "Movies/a.mkv", FileApi.Payload(100));

        using var deleted = await node.Http.DeleteAsync("files/Movies/a.mkv");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await deleted.Content.ReadAsByteArrayAsync());
        Assert.False(File.Exists(Path.Combine(node.Library, "Movies", "a.mkv")));
        Assert.False(Directory.Exists(Path.Combine(node.Library, "Movies")), "the emptied folder is pruned");
        Assert.Equal(2, await FileApi.VersionAsync(node));
        using var get = await node.Http.GetAsync("files/Movies/a.mkv");
        await ProblemAssert.IsAsync(get, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        using var again = await node.Http.DeleteAsync("files/Movies/a.mkv");
        await ProblemAssert.IsAsync(again, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        Assert.Equal(2, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task Delete_AbsentPath_Is404AndVersionUnchanged()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await node.Http.DeleteAsync("files/none.mkv");

        await ProblemAssert.IsAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        Assert.Equal(0, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task Delete_IfMatchWithStaleETag_Is412AndKeepsTheFile()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(100);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Delete, "a.mkv", ("If-Match", FileApi.ETagOf(FileApi.Payload(5))));

        await ProblemAssert.IsAsync(response, HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
        Assert.Equal(body, await node.Http.GetByteArrayAsync("files/a.mkv"));
        Assert.Equal(1, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task Delete_IfMatchWithWeakFormOfCurrentETag_Is412()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(100);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Delete, "a.mkv", ("If-Match", "W/" + FileApi.ETagOf(body)));

        await ProblemAssert.IsAsync(response, HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
        Assert.Equal(body, await node.Http.GetByteArrayAsync("files/a.mkv"));
    }

    [Fact]
    public async Task Delete_IfMatchWithCurrentETag_Is204()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(100);
        await FileApi.PutOkAsync(node, "a.mkv", body);

        using var response = await FileApi.SendAsync(node, HttpMethod.Delete, "a.mkv", ("If-Match", FileApi.ETagOf(body)));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Move_ExistingFile_Is200WithVersionAndTheFileMoves()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1000);
        await FileApi.PutOkAsync(node, "Inbox/a.mkv", body);

        using var response = await PostMoveAsync(node, """{"from": "Inbox/a.mkv", "to": "Movies/A (2001)/a.mkv"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["version"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(2, await FileApi.VersionAsync(node));
        Assert.Equal(body, await node.Http.GetByteArrayAsync("files/Movies/A%20(2001)/a.mkv"));
        using var old = await node.Http.GetAsync("files/Inbox/a.mkv");
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
        Assert.Equal(["Movies/A (2001)/a.mkv"], FileApi.LibraryFiles(node));
    }

    [Fact]
    public async Task Move_UnknownFrom_Is404AndVersionUnchanged()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await PostMoveAsync(node, """{"from": "none.mkv", "to": "b.mkv"}""");

        await ProblemAssert.IsAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        Assert.Equal(0, await FileApi.VersionAsync(node));
    }

    [Theory]
    [InlineData("""{"from": "../a.mkv", "to": "b.mkv"}""")]
    [InlineData("""{"from": "a.mkv", "to": "../b.mkv"}""")]
    [InlineData("""{"from": "a.mkv", "to": "/tmp/b.mkv"}""")]
    [InlineData("""{"from": "a.mkv", "to": ".mfleet/catalog.db"}""")]
    [InlineData("""{"from": "a.mkv", "to": "x//b.mkv"}""")]
    [InlineData("""{"from": "a.mkv", "to": "x\\b.mkv"}""")]
    [InlineData("""{"from": "a.mkv", "to": "b\u0000.mkv"}""")]
    [InlineData("""{"from": "a.mkv", "to": ""}""")]
    [InlineData("""{"from": "a.mkv", "to": "a.mkv"}""")]
    [InlineData("""{"from": "a.mkv", "to": "Movies"}""")]
    public async Task Move_InvalidPath_Is400InvalidPathAndNothingMoves(string json)
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(100);
        await FileApi.PutOkAsync(node, "a.mkv", body);
        await FileApi.PutOkAsync(node, "Movies/b.mkv", FileApi.Payload(10, seed: 2));

        using var response = await PostMoveAsync(node, json);

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidPath);
        Assert.Equal(body, await node.Http.GetByteArrayAsync("files/a.mkv"));
        Assert.Equal(["Movies/b.mkv", "a.mkv"], FileApi.LibraryFiles(node));
        Assert.Equal(2, await FileApi.VersionAsync(node));
    }

    [Theory]
    [InlineData("not json", "application/json")]
    [InlineData("", "application/json")]
    [InlineData("[]", "application/json")]
    [InlineData("null", "application/json")]
    [InlineData("{}", "application/json")]
    [InlineData("""{"from": "a.mkv"}""", "application/json")]
    [InlineData("""{"from": 1, "to": 2}""", "application/json")]
    [InlineData("""{"from": "a.mkv", "to": "b.mkv"}""", "text/plain")]
    public async Task Move_BadBody_Is400InvalidRequest(string body, string contentType)
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100));

        using var response = await PostMoveAsync(node, body, contentType);

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidRequest);
        Assert.Equal(1, await FileApi.VersionAsync(node));
    }

    private static async Task<HttpResponseMessage> PostMoveAsync(TestNode node, string json, string contentType = "application/json") =>
        await node.Http.PostAsync("v1/moves", new StringContent(json, Encoding.UTF8, contentType));
}
