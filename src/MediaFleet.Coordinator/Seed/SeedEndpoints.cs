using System.Net;

namespace MediaFleet.Coordinator.Seed;

/// <summary>Where <c>--seed-heartbeats udp://HOST:PORT</c> listens.</summary>
internal static class SeedEndpoints
{
    /// <summary>
    /// The endpoints of a <c>udp://HOST:PORT</c> URL: an IP address; <c>localhost</c> as 127.0.0.1 and ::1 (the old
    /// daemons may send from either); <c>*</c> as every address. Port 0 takes a free port (tests).
    /// </summary>
    public static bool TryParse(string text, out IReadOnlyList<IPEndPoint> endpoints)
    {
        endpoints = [];
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != "udp" || uri.IsDefaultPort || uri.Port is < 0 or > 65535
            || uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            // A literal '*' is not a valid URI host: read it by hand.
            if (text.StartsWith("udp://*:", StringComparison.Ordinal) && ushort.TryParse(text["udp://*:".Length..].TrimEnd('/'), out var any))
            {
                endpoints = [new IPEndPoint(IPAddress.IPv6Any, any)];
                return true;
            }
            return false;
        }
        var host = uri.Host.Trim('[', ']');
        if (host == "localhost")
        {
            endpoints = [new IPEndPoint(IPAddress.Loopback, uri.Port), new IPEndPoint(IPAddress.IPv6Loopback, uri.Port)];
            return true;
        }
        if (!IPAddress.TryParse(host, out var address))
        {
            return false;
        }
        endpoints = [new IPEndPoint(address, uri.Port)];
        return true;
    }
}
