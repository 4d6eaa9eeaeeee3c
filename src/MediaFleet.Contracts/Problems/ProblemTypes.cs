namespace MediaFleet.Contracts.Problems;

/// <summary>The stable problem slugs of DESIGN.md section 4; the <c>type</c> URI is <c>urn:mediafleet:problem:&lt;slug&gt;</c>.</summary>
public static class ProblemTypes
{
    public const string Prefix = "urn:mediafleet:problem:";

    public const string InvalidPath = "invalid-path";
    public const string NotFound = "not-found";
    public const string DigestMismatch = "digest-mismatch";
    public const string PreconditionFailed = "precondition-failed";
    public const string InsufficientStorage = "insufficient-storage";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string ChangesCompacted = "changes-compacted";
    public const string NotPrimary = "not-primary";
    public const string UnsupportedMedia = "unsupported-media";
    public const string InvalidHeartbeat = "invalid-heartbeat";
    public const string InvalidRequest = "invalid-request";

    /// <summary>The built-in balancer has no server to send a request to (503); an addition to DESIGN.md's list.</summary>
    public const string NoServer = "no-server";

    /// <summary>Conversion (DESIGN.md section 8): the output of a job that has not succeeded (409).</summary>
    public const string JobNotDone = "job-not-done";

    /// <summary>Conversion: a cancel of a job that already finished (409).</summary>
    public const string JobFinished = "job-finished";

    /// <summary>Conversion: a worker's call about a job whose lease it no longer holds (409).</summary>
    public const string LeaseLost = "lease-lost";

    public static string Uri(string slug) => Prefix + slug;

    /// <summary>The slug of a problem <c>type</c> URI, or null when it is not one of ours.</summary>
    public static string? SlugOf(string? type) =>
        type is not null && type.StartsWith(Prefix, StringComparison.Ordinal) ? type[Prefix.Length..] : null;
}
