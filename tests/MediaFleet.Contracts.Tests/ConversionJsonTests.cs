using System.Text.Json;
using MediaFleet.Contracts.Conversion;

namespace MediaFleet.Contracts.Tests;

/// <summary>The conversion contract's field names, literally as DESIGN.md section 8 writes them.</summary>
public sealed class ConversionJsonTests
{
    private static IReadOnlyList<string> FieldsOf(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];

    [Fact]
    public void Job_HasEveryFieldOfDesignSection8()
    {
        var at = DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var job = new JobDto("j1", "c1", "opus", "a.wav", new string('a', 64), 10, JobStates.Succeeded, 1, null, 1, null, at, at, at, at, "w1",
            new JobOutputDto(new string('b', 64), 5, 1.5), new JobIngestDto("Music/a.opus", "done", 7, null));
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(job, ConversionJson.Default.JobDto));
        var root = document.RootElement;

        Assert.Equal(
            ["id", "client", "profile", "name", "sha256", "size", "state", "progress", "eta_seconds", "attempts", "error", "created_at",
                "updated_at", "started_at", "finished_at", "worker", "output", "ingest", "stderr_tail"],
            FieldsOf(root));
        Assert.Equal(["sha256", "size", "duration_seconds"], FieldsOf(root.GetProperty("output")));
        Assert.Equal(["path", "state", "version", "error"], FieldsOf(root.GetProperty("ingest")));
    }

    [Fact]
    public void Profile_HasNameMediaExtensionDescription()
    {
        var json = JsonSerializer.Serialize([new ProfileDto("opus", "audio", "opus", "Opus")], ConversionJson.Default.IReadOnlyListProfileDto);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(["name", "media", "extension", "description"], FieldsOf(document.RootElement[0]));
    }

    [Theory]
    [InlineData("queued", false)]
    [InlineData("running", false)]
    [InlineData("succeeded", true)]
    [InlineData("failed", true)]
    [InlineData("cancelled", true)]
    public void IsFinished_OnlyForTheThreeEndStates(string state, bool finished) => Assert.Equal(finished, JobStates.IsFinished(state));
}
