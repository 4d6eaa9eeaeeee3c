using System.Security.Cryptography;
using System.Text.Json;
using MediaFleet.Contracts.Client;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>Small steps the file API tests repeat: bodies, digests, puts, the node's version and "nothing was written".</summary>
internal static class FileApi
{
    /// <summary>Deterministic bytes that differ by seed, so two payloads never hash alike by accident.</summary>
    public static byte[] Payload(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The RFC 9530 field value for <paramref name="bytes"/>: <c>sha-256=:base64:</c>.</summary>
    public static string DigestField(byte[] bytes) => "sha-256=:" + Convert.ToBase64String(SHA256.HashData(bytes)) + ":";

    public static string ETagOf(byte[] bytes) => "\"" + Sha256Hex(bytes) + "\"";

    /// <summary>PUT /files/{path} with the cluster token; headers are added to the request or its content as they belong.</summary>
    public static async Task<HttpResponseMessage> PutAsync(TestNode node, string path, byte[] body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, NodeClient.FileUri(path)) { Content = new ByteArrayContent(body) };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await node.Http.SendAsync(request);
    }

    /// <summary>A PUT that must succeed (201 or 200).</summary>
    public static async Task PutOkAsync(TestNode node, string path, byte[] body)
    {
        using var response = await PutAsync(node, path, body);
        Assert.True(response.IsSuccessStatusCode, $"PUT {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<HttpResponseMessage> SendAsync(TestNode node, HttpMethod method, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, NodeClient.FileUri(path));
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await node.Http.SendAsync(request);
    }

    /// <summary>The data version as <c>GET /v1/status</c> reports it.</summary>
    public static async Task<long> VersionAsync(TestNode node)
    {
        using var response = await node.Http.GetAsync("v1/status");
        response.EnsureSuccessStatusCode();
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return status.RootElement.GetProperty("version").GetInt64();
    }

    /// <summary>The number of entries <c>GET /v1/changes?since=0</c> lists.</summary>
    public static async Task<int> ChangeCountAsync(TestNode node)
    {
        using var changes = JsonDocument.Parse(await node.Http.GetStringAsync("v1/changes?since=0"));
        return changes.RootElement.GetProperty("changes").GetArrayLength();
    }

    /// <summary>What every refused write must leave: no file at the path, an empty temp folder, the same version.</summary>
    public static async Task AssertNothingWrittenAsync(TestNode node, string path, long versionBefore)
    {
        Assert.False(File.Exists(Path.Combine(node.Library, path)), $"{path} exists on disk");
        using (var response = await SendAsync(node, HttpMethod.Head, path))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }
        AssertTempEmpty(node);
        Assert.Equal(versionBefore, await VersionAsync(node));
    }

    public static void AssertTempEmpty(TestNode node) =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(node.Store.Root.TempFolder));

    /// <summary>Every regular file of the library outside <c>.mfleet</c>, relative with '/' separators.</summary>
    public static IReadOnlyList<string> LibraryFiles(TestNode node) =>
        Directory.EnumerateFiles(node.Library, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(f => Path.GetRelativePath(node.Library, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".mfleet/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
}
