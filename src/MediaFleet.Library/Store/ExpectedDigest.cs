using MediaFleet.Library.Digests;

namespace MediaFleet.Library.Store;

/// <summary>A digest that travels after the body: the digest, nothing to check, or why the one the request promised is unusable.</summary>
public readonly record struct LateDigest(Sha256Digest? Digest, string? Refusal = null)
{
    public static LateDigest None => default;

    public static LateDigest Refused(string reason) => new(null, reason);
}

/// <summary>
/// What a put's body must hash to. A header gives the digest before the body; a trailer field (RFC 9530 section 4,
/// RFC 9112 section 7.1.2) only after its last byte, so the store asks <see cref="AfterBody"/> once the body is in and
/// before anything is installed. Where both are given the body must match both, so two that disagree never install.
/// </summary>
public readonly record struct ExpectedDigest(Sha256Digest? Before, Func<LateDigest>? AfterBody = null)
{
    public static ExpectedDigest None => default;
}
