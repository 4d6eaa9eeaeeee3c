using System.Net;
using System.Text.Json;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

public sealed class CatalogTests
{
    [Fact]
    public async Task Catalog_ListsEveryCopyWithItsHealth_AndSinceOnlyLaterOnes()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100, seed: 1));
        await FileApi.PutOkAsync(node, "b.mkv", FileApi.Payload(200, seed: 2));
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "a.mkv"), FileApi.Payload(100, seed: 3));
        await foreach (var _ in node.Client.VerifyAsync("a.mkv", CancellationToken.None))
        {
        }

        var all = await LinesAsync(node, "v1/catalog");
        var later = await LinesAsync(node, "v1/catalog?since=1");

        Assert.Equal(["a.mkv", "b.mkv"], all.Select(l => l.GetProperty("path").GetString()));
        Assert.Equal(["path", "sha256", "size", "version", "verified_at", "state", "modified"], all[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(("corrupt", 1L), (all[0].GetProperty("state").GetString(), all[0].GetProperty("version").GetInt64()));
        Assert.Equal(("ok", 200L), (all[1].GetProperty("state").GetString(), all[1].GetProperty("size").GetInt64()));
        Assert.Equal(JsonValueKind.String, all[1].GetProperty("verified_at").ValueKind);
        Assert.Equal(["b.mkv"], later.Select(l => l.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task Catalog_NeedsTheClusterToken()
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = node.Authorized(null);

        using var response = await anonymous.GetAsync("v1/catalog");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task<List<JsonElement>> LinesAsync(TestNode node, string uri)
    {
        using var response = await node.Http.GetAsync(uri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }
}
