using System.Text.Json;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Heartbeats;

/// <summary>
/// Reads a heartbeat body strictly and checks its values (pure): a malformed heartbeat is refused whole, with one
/// line saying what is wrong, and changes nothing.
/// </summary>
internal static class HeartbeatRules
{
    /// <summary>A heartbeat is a few hundred bytes; anything near this is not one.</summary>
    public const int MaxBytes = 16 * 1024;

    public static bool TryRead(ReadOnlySpan<byte> body, DateTimeOffset receivedAt, out Heartbeat heartbeat, out string error)
    {
        heartbeat = null!;
        HeartbeatDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(body, StrictHeartbeatJson.Default.HeartbeatDto);
        }
        catch (JsonException e)
        {
            error = e.Message;
            return false;
        }
        if (dto is null)
        {
            error = "the body is null, not a heartbeat object";
            return false;
        }
        error = Check(dto) ?? "";
        if (error.Length > 0)
        {
            return false;
        }
        heartbeat = new Heartbeat(dto.Id, dto.Address, dto.Url, dto.Load, dto.Version, dto.SeenVersion, dto.Primary,
            dto.ForceDown, dto.ForceBackup, dto.Site ?? "", dto.Missing, dto.FreeBytes, dto.SentAt ?? receivedAt, receivedAt);
        return true;
    }

    /// <summary>The first thing wrong with the values of a well-formed heartbeat, or null.</summary>
    public static string? Check(HeartbeatDto dto)
    {
        if (dto.Id.Length is 0 or > 64 || !dto.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return "id must be 1-64 letters, digits, '-', '_' or '.'";
        }
        // The address is matched against nginx server lines, so it must be one nginx word.
        if (dto.Address.Length is 0 or > 255 || dto.Address.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is ';' or '#' or '{' or '}' or '"' or '\''))
        {
            return "address must be HOST:PORT as in an nginx server line (1-255 characters, no blanks, ';', '#', braces or quotes)";
        }
        if (!Uri.TryCreate(dto.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || dto.Url.Length > 2048)
        {
            return "url must be an absolute http(s) URL";
        }
        if (!double.IsFinite(dto.Load) || dto.Load < 0 || dto.Load > 1_000_000)
        {
            return "load must be a number from 0 (the 1-minute load average per core)";
        }
        if (dto.Version < 0 || dto.SeenVersion < 0 || dto.Missing < 0 || dto.FreeBytes < 0)
        {
            return "version, seen_version, missing and free_bytes must not be negative";
        }
        if (dto.Site is { } site && (site.Length > 64 || site.Any(char.IsControl)))
        {
            return "site must be at most 64 characters without control characters";
        }
        return null;
    }
}
