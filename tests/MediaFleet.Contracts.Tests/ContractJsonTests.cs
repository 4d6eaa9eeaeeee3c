using System.Text.Json;
using MediaFleet.Contracts.Files;

namespace MediaFleet.Contracts.Tests;

/// <summary>The JSON field names are contracts (DESIGN.md section 4): checked literally.</summary>
public sealed class ContractJsonTests
{
    private static IReadOnlyList<string> FieldsOf<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(value, type));
        return document.RootElement.EnumerateObject().Select(p => p.Name).ToList();
    }

    [Fact]
    public void StatusDto_HasTheFieldsOfDesign_ThenTheScrubProgressOfIssue6_ThenTheStartUpOfIssue12()
    {
        var status = new StatusDto("a", true, null, 1, 1, 0, 2, 3, 4, 0.5, false, false, "home");

        Assert.Equal(
            ["id", "primary", "upstream", "version", "seen_version", "missing", "files", "bytes", "free_bytes", "load", "force_down", "force_backup", "site", "scrub", "startup_scan"],
            FieldsOf(status, ContractJson.Default.StatusDto));
        Assert.Equal(
            ["index_loaded", "running", "checked", "unknown", "finished_at"],
            FieldsOf(new StartupScanDto(true, false, 3, 1, null), ContractJson.Default.StartupScanDto));
    }

    [Fact]
    public void FileDto_HasPathSha256SizeVersion() =>
        Assert.Equal(["path", "sha256", "size", "version"], FieldsOf(new FileDto("a", "b", 1, 2), ContractJson.Default.FileDto));

    [Fact]
    public void ChangeDto_HasTheChangelogFields()
    {
        var changes = new ChangesDto(3, [new ChangeDto(3, "move", "a", "b", "x", 1, DateTimeOffset.UnixEpoch)]);
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(changes, ContractJson.Default.ChangesDto));

        Assert.Equal(["version", "changes"], document.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["version", "op", "path", "to", "sha256", "size", "at"], document.RootElement.GetProperty("changes")[0].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void MissingDto_HasTheMissingFields()
    {
        IReadOnlyList<MissingDto> list = [new MissingDto("a", 1, null, "upstream down", 2, null)];
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(list, ContractJson.Default.IReadOnlyListMissingDto));

        Assert.Equal(["path", "version", "sha256", "reason", "attempts", "next_try_at"], document.RootElement[0].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void MoveRequest_ReadsFromAndTo()
    {
        var move = JsonSerializer.Deserialize("""{"from":"a/b.mkv","to":"c.mkv"}""", ContractJson.Default.MoveRequest);
        Assert.Equal(new MoveRequest("a/b.mkv", "c.mkv"), move);
    }
}
