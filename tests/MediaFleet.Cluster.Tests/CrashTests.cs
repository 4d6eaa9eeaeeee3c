using System.IO.Pipelines;
using System.Net.Http.Headers;
using System.Text.Json;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

[Collection(ProcessCollection.Name)]
public sealed class CrashTests
{
    [Fact]
    public async Task KillDuringLargePut_RestartLeavesCatalogAndFolderInAgreement()
    {
        using var library = new TempFolder();
        await using var node = await NodeProcess.StartAsync(library.Path);
        using var http = new HttpClient { BaseAddress = new Uri(node.Url + "/"), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestNode.Token);
        (await http.PutAsync("files/keep.bin", new ByteArrayContent([1, 2, 3]))).EnsureSuccessStatusCode();

        // A 256 MiB upload of which only 32 MiB ever arrive: the node is killed mid-body.
        var pipe = new Pipe();
        using var content = new StreamContent(pipe.Reader.AsStream());
        content.Headers.ContentLength = 256L << 20;
        var upload = http.PutAsync("files/big.bin", content);
        var chunk = new byte[1 << 20];
        for (var i = 0; i < 32; i++)
        {
            await pipe.Writer.WriteAsync(chunk);
        }
        var temp = Path.Combine(library.Path, ".mfleet", "tmp");
        await Eventually.TrueAsync(() => Directory.EnumerateFiles(temp).Any(f => new FileInfo(f).Length > 0), "a partial temp file");
        await node.KillAsync();
        // The upload fails either on the dead connection or on its short body; it never succeeds.
        await pipe.Writer.CompleteAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => upload);
        Assert.NotEmpty(Directory.EnumerateFiles(temp));

        await using var restarted = await NodeProcess.StartAsync(library.Path);
        using var after = new HttpClient { BaseAddress = new Uri(restarted.Url + "/") };
        after.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestNode.Token);

        Assert.Empty(Directory.EnumerateFiles(temp));
        Assert.False(File.Exists(Path.Combine(library.Path, "big.bin")));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await after.GetAsync("files/big.bin")).StatusCode);
        using var status = JsonDocument.Parse(await after.GetStringAsync("v1/status"));
        Assert.Equal(1, status.RootElement.GetProperty("version").GetInt64());
        var manifest = (await after.GetStringAsync("v1/manifest")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("path").GetString()!).ToList();
        var onDisk = library.Files().Where(f => !f.StartsWith(".mfleet/", StringComparison.Ordinal)).ToList();
        Assert.Equal(["keep.bin"], manifest);
        Assert.Equal(manifest, onDisk);
        Assert.Equal([1, 2, 3], await after.GetByteArrayAsync("files/keep.bin"));
    }

    [Fact]
    public async Task Sigterm_StopsTheNodeGracefullyWithExitCode0()
    {
        using var library = new TempFolder();
        await using var node = await NodeProcess.StartAsync(library.Path);

        var code = await node.TerminateAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, code);
    }
}
