using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MediaFleet.Contracts.Client;
using MediaFleet.Library.Catalog;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>
/// Copies that cannot be read, with real faults (as root; see <see cref="BrokenCopy"/>): a node serves around them,
/// marks them corrupt for the healer and keeps running; a verify or SIGTERM never hangs on one.
/// </summary>
public sealed class UnreadableCopyTests
{
    private const string Path1 = "media/v.bin";
    private static readonly byte[] Original = Enumerable.Range(0, 256 * 1024).Select(i => (byte)(i * 7 % 251)).ToArray();

    [Fact]
    public async Task Get_OfAnUnreadableCopyOnAFollower_StreamsTheGoodBytesFromUpstream_AndTheHealSaysItIsStuck()
    {
        await using var primary = await TestNode.StartAsync();
        await using var follower = await TestNode.StartFollowerAsync(primary.Url);
        await using (var body = new MemoryStream(Original))
        {
            await primary.Client.PutFileAsync(Path1, body, body.Length, null, CancellationToken.None);
        }
        await Replicas.ConvergedAsync(primary.Client, follower.Client, TimeSpan.FromSeconds(30));
        await using var broken = await BrokenCopy.InputOutputErrorAsync(Path.Combine(follower.Library, Path1));

        var bytes = await follower.Http.GetByteArrayAsync(NodeClient.FileUri(Path1));

        Assert.Equal(Original, bytes);
        Assert.Equal(FileState.Corrupt, follower.Store.Catalog.Find(Path1)!.State);
        // Good bytes are found upstream, but nothing can be renamed over a mount point: the copy stays listed, saying why.
        await Eventually.TrueAsync(async () => (await follower.Client.GetMissingAsync(CancellationToken.None))
            .Any(m => m.Path == Path1 && m.Reason.Contains("stuck", StringComparison.Ordinal) && m.Reason.Contains("Device or resource busy", StringComparison.Ordinal)),
            "the heal to report that it is stuck", TimeSpan.FromSeconds(30));
        Assert.Equal(Original, await follower.Http.GetByteArrayAsync(NodeClient.FileUri(Path1)));
    }

    [Theory]
    [InlineData("eacces", "unreadable: Permission denied")]
    [InlineData("eio", "unreadable: Input/output error")]
    [InlineData("fifo", "not a regular file (a FIFO)")]
    public async Task Get_OfAnUnreadableCopyOnThePrimary_AnswersANotFoundProblem_AndMarksItCorrupt(string fault, string finding)
    {
        await using var primary = await TestNode.StartAsync();
        await using (var body = new MemoryStream(new byte[4096]))
        {
            await primary.Client.PutFileAsync(Path1, body, body.Length, null, CancellationToken.None);
        }
        await using var broken = await BreakAsync(fault, Path.Combine(primary.Library, Path1));

        using var response = await primary.Http.GetAsync(NodeClient.FileUri(Path1)).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:mediafleet:problem:not-found", problem.GetProperty("type").GetString());
        Assert.Contains(finding, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(FileState.Corrupt, primary.Store.Catalog.Find(Path1)!.State);
        // Listed for the healer (which may already have replaced the finding with its own reason).
        Assert.StartsWith("corrupt: ", primary.Store.Catalog.FindMissing(Path1)!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScheduledScrub_PassesAnUnreadableCopy_MarksItCorrupt_AndTheNodeProcessKeepsServing()
    {
        using var library = new TempFolder("mfleet-unreadable-");
        var config = library.Combine("..", Path.GetFileName(library.Path) + ".json");
        await File.WriteAllTextAsync(config, """{"Scrub": {"BudgetMBps": 1000, "CheckTtlDays": 0, "IdleSeconds": 0.2}}""");
        try
        {
            await using var node = await NodeProcess.StartAsync(library.Path, ["--primary", "--config", config]);
            using var http = new HttpClient { BaseAddress = new Uri(node.Url) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", TestNode.Token);
            var client = new NodeClient(http);
            await using (var body = new MemoryStream(new byte[3]))
            {
                await client.PutFileAsync("a/unreadable.bin", body, body.Length, null, CancellationToken.None);
            }
            await using (var body = new MemoryStream(new byte[4096]))
            {
                await client.PutFileAsync("b/denied.bin", body, body.Length, null, CancellationToken.None);
            }
            await using var eio = await BrokenCopy.InputOutputErrorAsync(library.Combine("a", "unreadable.bin"));
            await using var eacces = await BrokenCopy.PermissionDeniedAsync(library.Combine("b", "denied.bin"));

            // The scrub waits up to 10 s after start-up before its first round.
            await Eventually.TrueAsync(async () => node.HasExited || (await client.GetMissingAsync(CancellationToken.None)).Count == 2,
                "the scrub to mark both copies corrupt", TimeSpan.FromSeconds(60));

            Assert.False(node.HasExited, node.Output);
            var missing = await client.GetMissingAsync(CancellationToken.None);
            // The healer may already have replaced the scrub's finding with its own reason: the finding is in the log.
            Assert.Contains(missing, m => m.Path == "b/denied.bin" && m.Reason.StartsWith("corrupt: ", StringComparison.Ordinal));
            Assert.Contains("b/denied.bin is corrupt (unreadable: Permission denied)", node.Output, StringComparison.Ordinal);
            Assert.Contains(missing, m => m.Path == "a/unreadable.bin" && m.Reason.StartsWith("corrupt: ", StringComparison.Ordinal));
            Assert.Matches("a/unreadable.bin is corrupt \\([^)]*\\): quarantined, left in place", node.Output);
            using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.DoesNotContain("BackgroundService failed", node.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Sigterm_DuringAVerifyThatMeetsAFifo_EndsTheNodeCleanlyAtOnce()
    {
        using var library = new TempFolder("mfleet-unreadable-");
        await using var node = await NodeProcess.StartAsync(library.Path);
        using var http = new HttpClient { BaseAddress = new Uri(node.Url) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", TestNode.Token);
        var client = new NodeClient(http);
        await using (var body = new MemoryStream([1]))
        {
            await client.PutFileAsync("a/good.bin", body, 1, null, CancellationToken.None);
        }
        await using (var body = new MemoryStream([]))
        {
            await client.PutFileAsync("b/pipe.bin", body, 0, null, CancellationToken.None);
        }
        await using var fifo = BrokenCopy.Fifo(library.Combine("b", "pipe.bin"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/verify");
        // The first line (a/good.bin) brings the headers: by then the verify has reached the FIFO.
        using var verify = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(20));

        var exit = await node.TerminateAsync(TimeSpan.FromSeconds(15));

        Assert.True(exit == 0, $"exit code {exit}: {node.Output}");
    }

    private static async Task<BrokenCopy> BreakAsync(string fault, string file) => fault switch
    {
        "eio" => await BrokenCopy.InputOutputErrorAsync(file),
        "eacces" => await BrokenCopy.PermissionDeniedAsync(file),
        _ => BrokenCopy.Fifo(file),
    };
}
