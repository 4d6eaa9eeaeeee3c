using System.Net;
using System.Net.Sockets;

namespace MediaFleet.Contracts.Tls;

/// <summary>
/// Where the cluster token may travel over plain http (DESIGN.md section 4): loopback, the private ranges of RFC 1918,
/// unique local IPv6 (fc00::/7, RFC 4193) and link-local. Anywhere else it needs https.
/// </summary>
public static class PrivateAddresses
{
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address))
        {
            return true;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] == 10
                || (b[0] == 172 && (b[1] & 0xF0) == 16)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254);
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            return (b[0] & 0xFE) == 0xFC || address.IsIPv6LinkLocal;
        }
        return false;
    }

    /// <summary>
    /// Null when <paramref name="target"/> may carry the token: https, or http to a private address. A host name
    /// counts as private when every address it resolves to is; one that does not resolve does not.
    /// </summary>
    public static async Task<string?> RefusalAsync(Uri target, bool allowInsecureHttp, CancellationToken cancellationToken)
    {
        if (allowInsecureHttp || !string.Equals(target.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var host = target.IdnHost.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                addresses = [];
            }
        }
        return addresses.Length > 0 && addresses.All(IsPrivate)
            ? null
            : $"refusing to send the cluster token over plain http to {target.GetLeftPart(UriPartial.Authority)}, which is not a loopback or private address: use https:// (or --insecure-http, Tls:AllowInsecureHttp)";
    }
}
