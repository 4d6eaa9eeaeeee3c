using System.Net;
using System.Text;
using System.Text.Json;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

public sealed class ChangesTests
{
    [Fact]
    public async Task Changes_SinceZero_ListsPutMoveDeleteOldestFirstWithEveryField()
    {
        await using var node = await TestNode.StartAsync();
        var body = FileApi.Payload(1234);
        await FileApi.PutOkAsync(node, "a.mkv", body);
        using (var move = await node.Http.PostAsync("v1/moves", new StringContent("""{"from":"a.mkv","to":"b.mkv"}""", Encoding.UTF8, "application/json")))
        {
            move.EnsureSuccessStatusCode();
        }
        using (var delete = await node.Http.DeleteAsync("files/b.mkv"))
        {
            delete.EnsureSuccessStatusCode();
        }

        using var response = await node.Http.GetAsync("v1/changes?since=0");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(["version", "changes"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, root.GetProperty("version").GetInt64());
        var changes = root.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(3, changes.Count);
        Assert.All(changes, c => Assert.Equal(["version", "op", "path", "to", "sha256", "size", "at"], c.EnumerateObject().Select(p => p.Name)));
        Assert.Equal([1L, 2L, 3L], changes.Select(c => c.GetProperty("version").GetInt64()));
        Assert.Equal(["put", "move", "delete"], changes.Select(c => c.GetProperty("op").GetString()));
        Assert.Equal(["a.mkv", "a.mkv", "b.mkv"], changes.Select(c => c.GetProperty("path").GetString()));
        Assert.Equal(JsonValueKind.Null, changes[0].GetProperty("to").ValueKind);
        Assert.Equal("b.mkv", changes[1].GetProperty("to").GetString());
        Assert.Equal(FileApi.Sha256Hex(body), changes[0].GetProperty("sha256").GetString());
        Assert.Equal(1234, changes[0].GetProperty("size").GetInt64());
        Assert.Equal(JsonValueKind.Null, changes[2].GetProperty("sha256").ValueKind);
        Assert.All(changes, c => Assert.True(c.GetProperty("at").TryGetDateTimeOffset(out _)));
    }

    [Fact]
    public async Task Changes_SinceAndLimit_ReturnTheWindowAndTheNodeVersion()
    {
        await using var node = await TestNode.StartAsync();
        for (var i = 1; i <= 5; i++)
        {
            await FileApi.PutOkAsync(node, $"f{i}.mkv", FileApi.Payload(10, seed: i));
        }

        using var json = JsonDocument.Parse(await node.Http.GetStringAsync("v1/changes?since=1&limit=2"));

        Assert.Equal(5, json.RootElement.GetProperty("version").GetInt64());
        var changes = json.RootElement.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal([2L, 3L], changes.Select(c => c.GetProperty("version").GetInt64()));
        Assert.Equal(["f2.mkv", "f3.mkv"], changes.Select(c => c.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task Changes_SinceTheCurrentVersion_IsEmpty()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(10));

        using var json = JsonDocument.Parse(await node.Http.GetStringAsync("v1/changes?since=1"));

        Assert.Equal(1, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("changes").GetArrayLength());
    }

    [Fact]
    public async Task Changes_WaitingWhenAPutArrives_AnswersWithTheNewChange()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(10, seed: 1));
        var poll = node.Http.GetStringAsync("v1/changes?since=1&wait=10");
        Assert.False(poll.IsCompleted, "the long poll answered before there was news");

        await FileApi.PutOkAsync(node, "b.mkv", FileApi.Payload(10, seed: 2));
        using var json = JsonDocument.Parse(await poll);

        Assert.Equal(2, json.RootElement.GetProperty("version").GetInt64());
        var change = Assert.Single(json.RootElement.GetProperty("changes").EnumerateArray());
        Assert.Equal("b.mkv", change.GetProperty("path").GetString());
        Assert.Equal("put", change.GetProperty("op").GetString());
    }

    [Fact]
    public async Task Changes_WaitingWithoutNews_AnswersEmptyAfterTheWait()
    {
        await using var node = await TestNode.StartAsync();

        using var json = JsonDocument.Parse(await node.Http.GetStringAsync("v1/changes?since=0&wait=0.2"));

        Assert.Equal(0, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("changes").GetArrayLength());
    }

    [Theory]
    [InlineData("since=-1")]
    [InlineData("limit=0")]
    [InlineData("limit=-5")]
    [InlineData("wait=-1")]
    [InlineData("wait=NaN")]
    public async Task Changes_NegativeZeroOrNaNArguments_Are400InvalidRequest(string query)
    {
        await using var node = await TestNode.StartAsync();

        using var response = await node.Http.GetAsync("v1/changes?" + query);

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidRequest);
    }

    [Fact]
    public async Task Changes_SinceOlderThanTheCompactedLog_Is410ChangesCompacted()
    {
        await using var node = await TestNode.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            await FileApi.PutOkAsync(node, $"f{i}.mkv", FileApi.Payload(10, seed: i));
        }
        using (var compact = await node.Http.PostAsync("v1/compact?keep=1", null))
        {
            Assert.Equal(HttpStatusCode.OK, compact.StatusCode);
        }

        using var compacted = await node.Http.GetAsync("v1/changes?since=1");
        using var kept = await node.Http.GetAsync("v1/changes?since=2");

        await ProblemAssert.IsAsync(compacted, HttpStatusCode.Gone, ProblemTypes.ChangesCompacted);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
    }

    [Fact]
    public async Task Manifest_ListsEveryFileAsNdjsonWithTheVersionHeader()
    {
        await using var node = await TestNode.StartAsync();
        var a = FileApi.Payload(100, seed: 1);
        var b = FileApi.Payload(200, seed: 2);
        await FileApi.PutOkAsync(node, "Movies/b.mkv", b);
        await FileApi.PutOkAsync(node, "a.mp4", a);
        await FileApi.PutOkAsync(node, "gone.mkv", FileApi.Payload(5, seed: 3));
        using (var delete = await node.Http.DeleteAsync("files/gone.mkv"))
        {
            delete.EnsureSuccessStatusCode();
        }

        using var response = await node.Http.GetAsync("v1/manifest");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("4", response.Headers.GetValues("MFleet-Version").Single());
        Assert.Equal("2", response.Headers.GetValues("MFleet-Files").Single());
        Assert.Equal("300", response.Headers.GetValues("MFleet-Bytes").Single());
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines, l => Assert.Equal(["path", "sha256", "size", "version"], l.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(["Movies/b.mkv", "a.mp4"], lines.Select(l => l.GetProperty("path").GetString()));
        Assert.Equal([FileApi.Sha256Hex(b), FileApi.Sha256Hex(a)], lines.Select(l => l.GetProperty("sha256").GetString()));
        Assert.Equal([200L, 100L], lines.Select(l => l.GetProperty("size").GetInt64()));
        Assert.Equal([1L, 2L], lines.Select(l => l.GetProperty("version").GetInt64()));
    }

    [Fact]
    public async Task Manifest_OfAnEmptyLibrary_IsEmptyAtVersionZero()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await node.Http.GetAsync("v1/manifest");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", response.Headers.GetValues("MFleet-Version").Single());
        Assert.Equal("0", response.Headers.GetValues("MFleet-Files").Single());
        Assert.Equal("0", response.Headers.GetValues("MFleet-Bytes").Single());
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Manifest_WithAPrefix_CountsOnlyTheFilesItLists()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "Movies/a.mkv", FileApi.Payload(100, seed: 1));
        await FileApi.PutOkAsync(node, "Movies/b/c.mkv", FileApi.Payload(20, seed: 2));
        await FileApi.PutOkAsync(node, "Movies0.mkv", FileApi.Payload(7, seed: 3));
        await FileApi.PutOkAsync(node, "Music/d.flac", FileApi.Payload(3, seed: 4));

        using var response = await node.Http.GetAsync("v1/manifest?prefix=Movies");

        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("2", response.Headers.GetValues("MFleet-Files").Single());
        Assert.Equal("120", response.Headers.GetValues("MFleet-Bytes").Single());
    }
}
