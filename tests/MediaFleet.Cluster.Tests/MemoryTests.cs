using System.Net.Http.Headers;
using System.Security.Cryptography;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

[Collection(ProcessCollection.Name)]
public sealed class MemoryTests
{
    private const long FileSize = 512L << 20;
    private const long RssLimit = 200L << 20;

    [Fact]
    public async Task Upload512MiBAndDownloadIt_NodeRssStaysUnder200MiB()
    {
        using var library = new TempFolder();
        await using var node = await NodeProcess.StartAsync(library.Path);
        using var http = new HttpClient { BaseAddress = new Uri(node.Url + "/"), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestNode.Token);

        using var content = new StreamContent(new PatternStream(FileSize), 1 << 20);
        content.Headers.ContentLength = FileSize;
        (await http.PutAsync("files/large.bin", content)).EnsureSuccessStatusCode();
        var afterUpload = node.PeakResidentBytes();

        using var response = await http.GetAsync("files/large.bin", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var received = await SHA256.HashDataAsync(body);
        var peak = node.PeakResidentBytes();

        using var expected = new PatternStream(FileSize);
        Assert.Equal(await SHA256.HashDataAsync(expected), received);
        Assert.True(afterUpload < RssLimit, $"peak RSS after the upload was {afterUpload >> 20} MiB");
        Assert.True(peak < RssLimit, $"peak RSS after the download was {peak >> 20} MiB");
    }
}
