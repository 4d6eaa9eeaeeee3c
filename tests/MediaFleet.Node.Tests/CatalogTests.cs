using System.Net;
using System.Text.Json;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

public sealed class CatalogTests
{
    [Fact]
    public async Task Catalog_ListsEveryCopyWithItsHealth()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100, seed: 1));
        await FileApi.PutOkAsync(node, "b.mkv", FileApi.Payload(200, seed: 2));
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "a.mkv"), FileApi.Payload(100, seed: 3));
        await foreach (var _ in node.Client.VerifyAsync("a.mkv", CancellationToken.None))
        {
        }

        var (all, _) = await PageAsync(node, "v1/catalog");

        Assert.Equal(["a.mkv", "b.mkv"], all.Select(l => l.GetProperty("path").GetString()));
        Assert.Equal(["path", "sha256", "size", "version", "verified_at", "state", "modified"], all[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(("corrupt", 1L), (all[0].GetProperty("state").GetString(), all[0].GetProperty("version").GetInt64()));
        Assert.Equal(("ok", 200L), (all[1].GetProperty("state").GetString(), all[1].GetProperty("size").GetInt64()));
        Assert.Equal(JsonValueKind.String, all[1].GetProperty("verified_at").ValueKind);
    }

    [Fact]
    public async Task Catalog_SinceAnEarlierAnswer_ListsOnlyChangedCopies_AGoneOneAsDeleted()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100, seed: 1));
        await FileApi.PutOkAsync(node, "b.mkv", FileApi.Payload(200, seed: 2));
        await FileApi.PutOkAsync(node, "c.mkv", FileApi.Payload(300, seed: 3));
        var (_, first) = await PageAsync(node, "v1/catalog");
        await FileApi.PutOkAsync(node, "d.mkv", FileApi.Payload(400, seed: 4));
        (await node.Http.DeleteAsync("files/b.mkv")).EnsureSuccessStatusCode();

        var (changed, next) = await PageAsync(node, $"v1/catalog?since={first.Seq}&epoch={first.Epoch}");
        var (unchanged, still) = await PageAsync(node, $"v1/catalog?since={next.Seq}&epoch={next.Epoch}");
        var (restarted, other) = await PageAsync(node, $"v1/catalog?since={next.Seq}&epoch=another");

        Assert.Equal(("true", "false", "false", "true"), (first.Full, next.Full, still.Full, other.Full));
        Assert.Equal([("b.mkv", "deleted"), ("d.mkv", "ok")], changed.Select(l => (l.GetProperty("path").GetString()!, l.GetProperty("state").GetString()!)).Order());
        Assert.True(next.Seq > first.Seq);
        Assert.Empty(unchanged);
        Assert.Equal(["a.mkv", "c.mkv", "d.mkv"], restarted.Select(l => l.GetProperty("path").GetString()).Order());
    }

    [Fact]
    public async Task Catalog_NeedsTheClusterToken()
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = node.Authorized(null);

        using var response = await anonymous.GetAsync("v1/catalog");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task<(List<JsonElement> Lines, (string Epoch, long Seq, string Full) Page)> PageAsync(TestNode node, string uri)
    {
        using var response = await node.Http.GetAsync(uri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        string Header(string name) => response.Headers.GetValues(name).Single();
        return (lines, (Header("MFleet-Catalog-Epoch"), long.Parse(Header("MFleet-Catalog-Seq"), System.Globalization.CultureInfo.InvariantCulture), Header("MFleet-Catalog-Full")));
    }
}
