using System.Net;
using System.Text;
using System.Text.Json;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary><c>POST /v1/bundle</c>: many files in one answer, each a JSON line and then exactly its bytes.</summary>
public sealed class BundleTests
{
    [Fact]
    public async Task Bundle_SendsEachFileAfterItsLine_InTheOrderAsked_WithAProblemLineForWhatItCannotSend()
    {
        await using var node = await TestNode.StartAsync();
        var a = FileApi.Payload(4096, seed: 1);
        var b = FileApi.Payload(0, seed: 2);
        var c = FileApi.Payload(200_000, seed: 3);
        await FileApi.PutOkAsync(node, "Music/a.flac", a);
        await FileApi.PutOkAsync(node, "Music/b.txt", b);
        await FileApi.PutOkAsync(node, "Music/c.flac", c);
        var wrong = FileApi.Sha256Hex(FileApi.Payload(10, seed: 9));

        using var response = await PostAsync(node, Body(
            ("Music/c.flac", FileApi.Sha256Hex(c)),
            ("Music/gone.flac", wrong),
            ("Music/a.flac", FileApi.Sha256Hex(a)),
            ("Music/a.flac", wrong),
            ("../escape", wrong),
            ("Music/b.txt", FileApi.Sha256Hex(b))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.mediafleet.bundle", response.Content.Headers.ContentType?.MediaType);
        var parts = Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(["Music/c.flac", "Music/gone.flac", "Music/a.flac", "Music/a.flac", "../escape", "Music/b.txt"], parts.Select(p => p.Line.GetProperty("path").GetString()));
        Assert.Equal(c, parts[0].Bytes);
        Assert.Equal(FileApi.Sha256Hex(c), parts[0].Line.GetProperty("sha256").GetString());
        Assert.Equal(200_000, parts[0].Line.GetProperty("size").GetInt64());
        Assert.Equal(ProblemTypes.NotFound, parts[1].Line.GetProperty("problem").GetString());
        Assert.Empty(parts[1].Bytes);
        Assert.Equal(a, parts[2].Bytes);
        Assert.Equal(ProblemTypes.PreconditionFailed, parts[3].Line.GetProperty("problem").GetString());
        Assert.Empty(parts[3].Bytes);
        Assert.Equal(ProblemTypes.InvalidPath, parts[4].Line.GetProperty("problem").GetString());
        Assert.Equal(0, parts[5].Line.GetProperty("size").GetInt64());
        Assert.Empty(parts[5].Bytes);
    }

    [Fact]
    public async Task Bundle_OfACopyChangedOnDiskBehindTheCatalog_SendsAProblemLineNotTheWrongBytes()
    {
        await using var node = await TestNode.StartAsync();
        var a = FileApi.Payload(4096, seed: 1);
        await FileApi.PutOkAsync(node, "a.flac", a);
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "a.flac"), FileApi.Payload(100, seed: 5));

        using var response = await PostAsync(node, Body(("a.flac", FileApi.Sha256Hex(a))));

        var part = Assert.Single(Parse(await response.Content.ReadAsByteArrayAsync()));
        Assert.Equal(ProblemTypes.NotFound, part.Line.GetProperty("problem").GetString());
        Assert.Contains("100 bytes", part.Line.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(part.Bytes);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"files": []}""")]
    [InlineData("""{"files": [{"path": "a"}]}""")]
    public async Task Bundle_WithABadBody_Is400InvalidRequest(string body)
    {
        await using var node = await TestNode.StartAsync();

        using var response = await PostAsync(node, body);

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidRequest);
    }

    [Fact]
    public async Task Bundle_OfMoreFilesThanTheLimit_Is400InvalidRequest()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await PostAsync(node, Body([.. Enumerable.Range(0, 1001).Select(i => ($"f{i}", new string('0', 64)))]));

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidRequest);
    }

    [Fact]
    public async Task Bundle_WithoutTheToken_Is401()
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = node.Authorized(null);

        using var response = await anonymous.PostAsync("v1/bundle", new StringContent(Body(("a", new string('0', 64))), Encoding.UTF8, "application/json"));

        await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
    }

    private static string Body(params (string Path, string Sha256)[] files) =>
        JsonSerializer.Serialize(new { files = files.Select(f => new { path = f.Path, sha256 = f.Sha256 }) });

    private static Task<HttpResponseMessage> PostAsync(TestNode node, string body) =>
        node.Http.PostAsync("v1/bundle", new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>Splits an answer into its lines and, after a line with a size, that many bytes.</summary>
    private static List<(JsonElement Line, byte[] Bytes)> Parse(byte[] answer)
    {
        var parts = new List<(JsonElement, byte[])>();
        var at = 0;
        while (at < answer.Length)
        {
            var end = Array.IndexOf(answer, (byte)'\n', at);
            Assert.True(end > at, "every part starts with a line");
            var line = JsonDocument.Parse(answer.AsMemory(at, end - at)).RootElement.Clone();
            at = end + 1;
            var size = line.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number ? (int)s.GetInt64() : 0;
            parts.Add((line, answer[at..(at + size)]));
            at += size;
        }
        return parts;
    }
}
