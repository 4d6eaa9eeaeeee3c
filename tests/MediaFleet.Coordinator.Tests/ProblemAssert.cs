using System.Net;
using System.Text.Json;
using MediaFleet.Contracts.Problems;

namespace MediaFleet.Coordinator.Tests;

/// <summary>Asserts that an answer is an RFC 9457 problem with DESIGN.md's slug and status.</summary>
internal static class ProblemAssert
{
    /// <summary>Asserts status, media type and <c>type</c> URI; returns the problem document.</summary>
    public static async Task<JsonElement> IsAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(ProblemTypes.Uri(slug), problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
