using System.Net;
using System.Text.Json;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

public sealed class StatusTests
{
    [Fact]
    public async Task Status_HasTheFieldsOfTheDesign_ThenTheScrubProgress()
    {
        await using var node = await TestNode.StartAsync(settings: new Dictionary<string, string?> { ["Node:Id"] = "node-a", ["Node:Site"] = "basement" });
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100, seed: 1));
        await FileApi.PutOkAsync(node, "b.mkv", FileApi.Payload(250, seed: 2));

        using var response = await node.Http.GetAsync("v1/status");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var status = json.RootElement;
        Assert.Equal(
            ["id", "primary", "upstream", "version", "seen_version", "missing", "files", "bytes", "free_bytes", "load", "force_down", "force_backup", "site", "scrub", "startup_scan"],
            status.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            ["index_loaded", "running", "checked", "unknown", "finished_at"],
            status.GetProperty("startup_scan").EnumerateObject().Select(p => p.Name));
        Assert.True(status.GetProperty("scrub").GetProperty("enabled").GetBoolean()); // issue 6: the scrub's progress
        Assert.Equal("node-a", status.GetProperty("id").GetString());
        Assert.True(status.GetProperty("primary").GetBoolean());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("upstream").ValueKind);
        Assert.Equal(2, status.GetProperty("version").GetInt64());
        Assert.Equal(2, status.GetProperty("seen_version").GetInt64());
        Assert.Equal(0, status.GetProperty("missing").GetInt32());
        Assert.Equal(2, status.GetProperty("files").GetInt32());
        Assert.Equal(350, status.GetProperty("bytes").GetInt64());
        Assert.True(status.GetProperty("free_bytes").GetInt64() > 0);
        Assert.True(status.GetProperty("load").GetDouble() >= 0);
        Assert.False(status.GetProperty("force_down").GetBoolean());
        Assert.False(status.GetProperty("force_backup").GetBoolean());
        Assert.Equal("basement", status.GetProperty("site").GetString());
    }

    [Fact]
    public async Task Status_WithoutConfiguredId_UsesTheCatalogId()
    {
        await using var node = await TestNode.StartAsync();

        using var json = JsonDocument.Parse(await node.Http.GetStringAsync("v1/status"));

        Assert.Equal(node.Store.Catalog.NodeId, json.RootElement.GetProperty("id").GetString());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("id").GetString()));
        Assert.Equal(0, json.RootElement.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Missing_OnAPrimary_IsAnEmptyList()
    {
        await using var node = await TestNode.StartAsync();

        using var response = await node.Http.GetAsync("v1/missing");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthz_IsOk()
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = node.Authorized(null);

        using var response = await anonymous.GetAsync("healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task Metrics_ArePrometheusTextWithTheNodesInstruments()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100));
        using (var read = await node.Http.GetAsync("files/a.mkv"))
        {
            read.EnsureSuccessStatusCode();
        }
        using var anonymous = node.Authorized(null);

        using var response = await anonymous.GetAsync("metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("mfleet", text, StringComparison.Ordinal);
        Assert.Contains("mfleet_data_version", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^mfleet_files_served_total\{[^}]*\} 1( |$)", text);
        Assert.Matches(@"(?m)^mfleet_files_served_bytes_total\{[^}]*\} 100( |$)", text);
    }
}
