namespace MediaFleet.Coordinator.Tests.Heartbeats;

/// <summary>
/// Heartbeat bodies as JSON text: DESIGN.md section 6's example, with one field replaced, removed or added, so that
/// each malformed body differs from a good one in exactly one way.
/// </summary>
internal static class HeartbeatJson
{
    /// <summary>The example heartbeat of DESIGN.md section 6, field by field, values as raw JSON.</summary>
    private static readonly (string Name, string Value)[] Example =
    [
        ("id", "\"b\""),
        ("address", "\"10.0.0.2:8470\""),
        ("url", "\"http://10.0.0.2:8470\""),
        ("load", "0.31"),
        ("version", "1207"),
        ("seen_version", "1209"),
        ("primary", "false"),
        ("force_down", "false"),
        ("force_backup", "false"),
        ("site", "\"home\""),
        ("missing", "2"),
        ("free_bytes", "912345678"),
        ("sent_at", "\"2026-11-23T17:00:00Z\""),
    ];

    /// <summary>The fields every heartbeat must carry; the others may be left out by an older node.</summary>
    public static readonly string[] Required = ["id", "address", "url", "load", "version", "primary", "force_down", "force_backup"];

    public static string Valid => Render(Example);

    /// <summary>The example with <paramref name="name"/> set to the raw JSON <paramref name="value"/>.</summary>
    public static string With(string name, string value) =>
        Render(Example.Select(f => f.Name == name ? (f.Name, value) : f));

    /// <summary>The example with several fields set, each to raw JSON.</summary>
    public static string With(params (string Name, string Value)[] fields) =>
        Render(Example.Select(f => fields.FirstOrDefault(x => x.Name == f.Name) is { Name: not null } x ? x : f));

    public static string Without(string name) => Render(Example.Where(f => f.Name != name));

    /// <summary>The example with one more member at the end (an unknown field, or a repeated one).</summary>
    public static string Plus(string name, string value) => Render([.. Example, (name, value)]);

    /// <summary>Bodies that are not a heartbeat as JSON: the strict reading refuses them before any value is checked.</summary>
    public static TheoryData<string, string> NotAHeartbeat()
    {
        var data = new TheoryData<string, string>
        {
            { "an empty body", "" },
            { "not JSON", "hello" },
            { "truncated JSON", Valid[..40] },
            { "JSON cut before its last brace", Valid[..^1] },
            { "a JSON array", "[" + Valid + "]" },
            { "null", "null" },
            { "a JSON string", "\"b\"" },
            { "two objects", Valid + Valid },
            { "a trailing comma", Valid[..^1] + ",}" },
            { "a comment", "/* hi */" + Valid },
            { "load as a string", With("load", "\"0.3\"") },
            { "version with a fraction", With("version", "1.5") },
            { "version as a string", With("version", "\"1207\"") },
            { "version beyond a long", With("version", "9223372036854775808") },
            { "primary as a string", With("primary", "\"true\"") },
            { "force_down as a number", With("force_down", "1") },
            { "load NaN literal", With("load", "NaN") },
            { "load NaN as a string", With("load", "\"NaN\"") },
            { "load Infinity as a string", With("load", "\"Infinity\"") },
            { "id null", With("id", "null") },
            { "id a number", With("id", "7") },
            { "site an object", With("site", "{\"a\":1}") },
            { "sent_at not a date", With("sent_at", "\"yesterday\"") },
            { "an unknown field", Plus("weight", "1") },
            { "an unknown field that is null", Plus("extra", "null") },
            { "a field name in another case", Valid.Replace("\"id\":", "\"Id\":", StringComparison.Ordinal) },
            { "a repeated field with another value", Plus("id", "\"c\"") },
            { "a repeated field with the same value", Plus("load", "0.31") },
        };
        foreach (var name in Required)
        {
            data.Add($"no {name}", Without(name));
        }
        return data;
    }

    /// <summary>Well-formed heartbeats with one value out of range, and how the refusal begins.</summary>
    public static TheoryData<string, string, string> OutOfRange() => new()
    {
        { "an empty id", With("id", "\"\""), "id must" },
        { "an id with a slash", With("id", "\"a/b\""), "id must" },
        { "an id with a blank", With("id", "\"a b\""), "id must" },
        { "an id with a non-ASCII letter", With("id", "\"b\u00e9\""), "id must" },
        { "an id of 65 characters", With("id", "\"" + new string('x', 65) + "\""), "id must" },
        { "an empty address", With("address", "\"\""), "address must" },
        { "an address with a blank", With("address", "\"10.0.0.2 8470\""), "address must" },
        { "an address with a semicolon", With("address", "\"10.0.0.2:8470;\""), "address must" },
        { "an address with a hash", With("address", "\"10.0.0.2:8470#x\""), "address must" },
        { "an address with a brace", With("address", "\"10.0.0.2:8470}\""), "address must" },
        { "an address with a newline", With("address", "\"10.0.0.2:8470\\n\""), "address must" },
        { "a url with another scheme", With("url", "\"ftp://10.0.0.2:8470\""), "url must" },
        { "a file url", With("url", "\"file:///etc/passwd\""), "url must" },
        { "a relative url", With("url", "\"/files\""), "url must" },
        { "a url that is an address", With("url", "\"10.0.0.2:8470\""), "url must" },
        { "a negative load", With("load", "-0.1"), "load must" },
        { "a load overflowing to infinity", With("load", "1e400"), "load must" },
        { "an absurd load", With("load", "1e7"), "load must" },
        { "a negative version", With("version", "-1"), "version, seen_version" },
        { "a negative seen_version", With("seen_version", "-1"), "version, seen_version" },
        { "a negative missing", With("missing", "-2"), "version, seen_version" },
        { "a negative free_bytes", With("free_bytes", "-1"), "version, seen_version" },
        { "a site with a control character", With("site", "\"home\\u0007\""), "site must" },
        { "a site of 65 characters", With("site", "\"" + new string('s', 65) + "\""), "site must" },
    };

    /// <summary>Every malformed body, for the endpoint: whatever is wrong, the answer is the same.</summary>
    public static TheoryData<string, string> Malformed()
    {
        var data = NotAHeartbeat();
        foreach (var row in OutOfRange())
        {
            data.Add((string)row[0], (string)row[1]);
        }
        return data;
    }

    private static string Render(IEnumerable<(string Name, string Value)> fields) =>
        "{" + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Value}")) + "}";
}
