using System.Net;
using System.Text.Json;
using MediaFleet.Contracts.Problems;

namespace MediaFleet.Node.Tests;

/// <summary>Asserts that an answer is an RFC 9457 problem with DESIGN.md's slug and status.</summary>
internal static class ProblemAssert
{
    private const string ProblemJson = "application/problem+json";

    /// <summary>Asserts status, media type and <c>type</c> URI; returns the problem document.</summary>
    public static async Task<JsonElement> IsAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        return Check(text, (int)status, slug);
    }

    public static JsonElement Is(RawResponse response, int status, string slug)
    {
        Assert.True(response.Status == status, $"expected {status}, got {response.Status}: {response.Text}");
        Assert.StartsWith(ProblemJson, response.Header("Content-Type") ?? "", StringComparison.Ordinal);
        return Check(response.Text, status, slug);
    }

    private static JsonElement Check(string text, int status, string slug)
    {
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(ProblemTypes.Uri(slug), problem.GetProperty("type").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
