using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MediaFleet.Contracts.Client;

namespace MediaFleet.Cli.Doctor;

/// <summary>Whether a role can listen where it is told to, or already does.</summary>
internal static partial class PortCheck
{
    /// <summary>
    /// Binds the listen address for a moment. When it is taken, asks whoever holds it for <c>/metrics</c>: a running
    /// <paramref name="service"/> (this role, started already; named <paramref name="instance"/> when that is known) is
    /// fine; anything else keeps the role from starting.
    /// </summary>
    public static async Task<Finding> CheckAsync(string check, string listen, string service, string? instance, ClusterHttp cluster, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(listen, UriKind.Absolute, out var uri))
        {
            return Finding.Fail(check, $"'{listen}' is not a URL");
        }
        if (uri.Port == 0)
        {
            return Finding.Ok(check, $"{listen}: port 0, any free port");
        }
        var host = uri.Host.Trim('[', ']');
        var address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
        };
        if (address is null)
        {
            return Finding.Fail(check, $"{listen}: listen on an IP address, localhost or *, not a host name");
        }
        var endPoint = new IPEndPoint(address, uri.Port);
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(endPoint);
            return Finding.Ok(check, $"{endPoint} is free");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return await WhoHoldsAsync(check, uri, endPoint, service, instance, cluster, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            return Finding.Fail(check, $"{endPoint}: binding a port below 1024 needs privileges (CAP_NET_BIND_SERVICE): {e.Message}");
        }
        catch (SocketException e)
        {
            return Finding.Fail(check, $"{endPoint} cannot be listened on: {e.Message}");
        }
    }

    private static async Task<Finding> WhoHoldsAsync(string check, Uri listen, IPEndPoint endPoint, string service, string? instance, ClusterHttp cluster,
        CancellationToken cancellationToken)
    {
        var reachable = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any)
            ? new Uri($"{listen.Scheme}://127.0.0.1:{endPoint.Port}/")
            : new Uri($"{listen.Scheme}://{listen.Authority}/");
        string metrics;
        try
        {
            using var http = cluster.Create(reachable, TimeSpan.FromSeconds(5));
            metrics = await http.GetStringAsync("metrics", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return Finding.Fail(check, $"{endPoint} is in use by another program (it does not answer /metrics as a MediaFleet role)");
        }
        var labels = TargetInfo().Match(metrics) is { Success: true } line
            ? Label().Matches(line.Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)
            : [];
        var running = labels.GetValueOrDefault("service_name");
        var id = labels.GetValueOrDefault("service_instance_id");
        var named = id is null ? "" : $" (instance {id})";
        return running == service && (instance is null || instance == id)
            ? Finding.Ok(check, $"{endPoint} is held by a running {service}{named}: this role is started already")
            : Finding.Fail(check, $"{endPoint} is in use by {(running is null ? "another program" : "a running " + running + named)}");
    }

    [GeneratedRegex(@"(?m)^target_info\{[^\n]*$")]
    private static partial Regex TargetInfo();

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex Label();
}
