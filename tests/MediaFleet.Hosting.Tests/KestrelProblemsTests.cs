using System.Text;
using MediaFleet.Hosting;

namespace MediaFleet.Contracts.Tests;

/// <summary>Only Kestrel's own empty 400/414/431 answers are rewritten into problem documents; any other bytes pass.</summary>
public sealed class KestrelProblemsTests
{
    private const string Date = "Date: Mon, 06 Jan 2025 10:00:00 GMT";

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n" + Date + "\r\n\r\n", 400)]
    [InlineData("HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\nConnection: close\r\n" + Date + "\r\n\r\n", 414)]
    [InlineData("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n" + Date + "\r\n\r\n", 431)]
    public void KestrelsOwnAnswer_BecomesAProblem_KeepingStatusConnectionAndDate(string written, int status)
    {
        var replaced = Encoding.Latin1.GetString(KestrelProblems.Replacement(Encoding.Latin1.GetBytes(written))!);

        var (head, body) = (replaced[..replaced.IndexOf("\r\n\r\n", StringComparison.Ordinal)], replaced[(replaced.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        Assert.StartsWith(written[..written.IndexOf("\r\n", StringComparison.Ordinal)], head, StringComparison.Ordinal);
        Assert.Contains("Connection: close", head, StringComparison.Ordinal);
        Assert.Contains(Date, head, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", head, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {Encoding.UTF8.GetByteCount(body)}", head, StringComparison.Ordinal);
        using var problem = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal("urn:mediafleet:problem:invalid-request", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\nContent-Length: 0\r\n\r\n")] // the app's
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 120\r\nConnection: close\r\n\r\n")] // has a body
    [InlineData("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\nand more")] // not one whole header block
    [InlineData("some body bytes of a file")]
    public void AnythingElse_PassesUntouched(string written) =>
        Assert.Null(KestrelProblems.Replacement(Encoding.Latin1.GetBytes(written)));
}
