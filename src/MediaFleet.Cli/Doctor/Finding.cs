using System.Text.Json;
using System.Text.Json.Serialization;

namespace MediaFleet.Cli.Doctor;

/// <summary>How a check came out: a failure makes <c>mfleet doctor</c> exit 3, a warning does not.</summary>
internal enum Verdict
{
    Ok,
    Warn,
    Fail,
}

/// <summary>One check of <c>mfleet doctor</c>: printed as <c>ok|warn|FAIL  check: detail</c>.</summary>
internal sealed record Finding(string Check, Verdict Verdict, string Detail)
{
    public static Finding Ok(string check, string detail) => new(check, Verdict.Ok, detail);

    public static Finding Warn(string check, string detail) => new(check, Verdict.Warn, detail);

    public static Finding Fail(string check, string detail) => new(check, Verdict.Fail, detail);

    /// <summary>The word in the text output: FAIL in capitals, so it stands out in a column of oks.</summary>
    public string Word => Verdict switch
    {
        Verdict.Ok => "ok",
        Verdict.Warn => "warn",
        _ => "FAIL",
    };

    public string ToLine() => $"{Word,-4}  {Check}: {Detail}";

    public FindingDto ToDto() => new(Check, Word.ToLowerInvariant(), Detail);
}

/// <summary>A finding in <c>mfleet doctor --json</c>: <c>{check, status, detail}</c>, status one of ok, warn, fail.</summary>
internal sealed record FindingDto(string Check, string Status, string Detail);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(List<FindingDto>))]
internal sealed partial class DoctorJson : JsonSerializerContext;
