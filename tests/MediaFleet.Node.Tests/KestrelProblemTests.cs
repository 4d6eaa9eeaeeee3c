using System.Text;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>
/// The answers Kestrel makes itself, before any middleware (bad request line, target too long, headers too large),
/// are problem documents like every other error (DESIGN.md section 4), over raw sockets as a broken client sends them.
/// </summary>
public sealed class KestrelProblemTests
{
    public static TheoryData<string, int> BrokenRequests => new()
    {
        { "GARBAGE\r\n\r\n", 400 },
        { "GET /files/a.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n", 400 },
        { "GET /files/" + new string('a', 9000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414 },
        { "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + new string('b', 40_000) + "\r\n\r\n", 431 },
    };

    [Theory]
    [MemberData(nameof(BrokenRequests))]
    public async Task RequestKestrelRejects_IsAnsweredWithAnInvalidRequestProblem(string request, int status)
    {
        await using var node = await TestNode.StartAsync();
        await using var connection = await RawConnection.OpenAsync(node);

        await connection.WriteAsync(Encoding.Latin1.GetBytes(request));
        var response = await connection.ReadResponseAsync();

        var problem = ProblemAssert.Is(response, status, ProblemTypes.InvalidRequest);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.Equal("close", response.Header("Connection"));
    }

    [Fact]
    public async Task GoodRequestBefore_AndNextConnection_AreUnchanged()
    {
        await using var node = await TestNode.StartAsync();
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100));
        await using (var connection = await RawConnection.OpenAsync(node))
        {
            await connection.WriteHeadAsync("GET", "/files/a.mkv", []);
            var good = await connection.ReadResponseAsync();
            Assert.Equal(200, good.Status);
            Assert.Equal(FileApi.Payload(100), good.Body);

            await connection.WriteAsync("BROKEN LINE\r\n\r\n"u8.ToArray());
            ProblemAssert.Is(await connection.ReadResponseAsync(), 400, ProblemTypes.InvalidRequest);
        }
        using var response = await node.Http.GetAsync("files/a.mkv");
        Assert.Equal(FileApi.Payload(100), await response.Content.ReadAsByteArrayAsync());
    }
}
