using Microsoft.Extensions.Primitives;

namespace MediaFleet.Hosting;

/// <summary>The entity tags of <c>If-Match</c> / <c>If-None-Match</c> (RFC 9110 section 13.1), as sent: quoted, <c>W/</c> kept, or <c>*</c>.</summary>
public static class EntityTags
{
    /// <summary>Every tag of the header's lines, split at commas; empty entries dropped.</summary>
    public static string[] Split(StringValues values) =>
        values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
}
