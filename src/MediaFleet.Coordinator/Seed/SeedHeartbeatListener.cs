using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MediaFleet.Contracts.Problems;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.States;
using MediaFleet.Hosting;

namespace MediaFleet.Coordinator.Seed;

/// <summary>
/// Takes the old heartbeat daemon's UDP packets (<c>--seed-heartbeats</c>), so a cluster moves to MediaFleet one server
/// at a time: each packet is a heartbeat of the server at the sender's IP, judged by the same rules (its version
/// against the old daemon's primary), and is answered with the old server's acknowledgement. A packet that is not an
/// old-style heartbeat is ignored with one log line.
/// </summary>
internal sealed partial class SeedHeartbeatListener(
    CoordinatorOptions options, ServerRegistry registry, CoordinatorMetrics metrics, TimeProvider time, ILogger<SeedHeartbeatListener> logger) : BackgroundService
{
    private readonly List<Socket> _sockets = [];
    private readonly Dictionary<string, IPEndPoint> _senders = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The bound endpoints (port 0 resolved), once started.</summary>
    public IReadOnlyList<IPEndPoint> Bound => [.. _sockets.Select(s => (IPEndPoint)s.LocalEndPoint!)];

    /// <summary>Binds while the coordinator is built, so a port in use stops it with its reason, like a bad setting.</summary>
    /// <exception cref="InvalidSettingsException">An endpoint cannot be bound.</exception>
    public void Bind()
    {
        SeedEndpoints.TryParse(options.SeedHeartbeats!, out var endpoints);
        var port = endpoints[0].Port;
        foreach (var endpoint in endpoints)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                if (endpoint.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }
                // With localhost's two addresses and port 0, the second takes the port the first was given.
                socket.Bind(new IPEndPoint(endpoint.Address, port));
                port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new InvalidSettingsException([$"Coordinator:SeedHeartbeats (--seed-heartbeats) '{options.SeedHeartbeats}': cannot listen on {endpoint.Address} port {port}: {e.Message}"]);
            }
            _sockets.Add(socket);
        }
        Log.Listening(logger, string.Join(", ", Bound));
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_sockets.Select(s => ReceiveAsync(s, stoppingToken)));

    private async Task ReceiveAsync(Socket socket, CancellationToken stoppingToken)
    {
        // Room for any datagram, so an oversized one is seen at its real length and refused as such.
        var buffer = new byte[65_536];
        var ack = new byte[SeedPacket.AckLength];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // An ICMP error from an earlier answer (the old daemon went away) surfaces here on Linux: not a failure.
                Log.ReceiveFailed(logger, e.SocketErrorCode.ToString());
                continue;
            }
            var sender = (IPEndPoint)received.RemoteEndPoint;
            if (!SeedPacket.TryRead(buffer.AsSpan(0, received.ReceivedBytes), out var packet, out var error))
            {
                metrics.Heartbeat(accepted: false);
                Log.Refused(logger, sender.ToString(), error);
                continue;
            }
            Record(sender, packet);
            metrics.Heartbeat(accepted: true);
            var (version, primary) = CurrentPrimary();
            SeedPacket.WriteAck(ack, version, primary);
            try
            {
                await socket.SendToAsync(ack, SocketFlags.None, sender, stoppingToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                Log.ReceiveFailed(logger, e.SocketErrorCode.ToString());
            }
        }
    }

    private void Record(IPEndPoint sender, SeedPacket packet)
    {
        var address = AddressOf(sender);
        lock (_gate)
        {
            _senders[address] = sender;
        }
        var now = time.GetUtcNow();
        registry.Record(new Heartbeat("seed-" + address, address, "udp://" + sender, packet.Load, packet.Version, packet.Version, packet.Primary,
            packet.ForceDown, packet.ForceBackup, "", 0, 0, now, now) { Seed = true });
    }

    /// <summary>The old daemon's current version (its trusted primary's) and the primary's endpoint, as the ack carries them.</summary>
    private (ushort Version, IPEndPoint? Primary) CurrentPrimary()
    {
        if (registry.TrustedSeedPrimary is not { } primary)
        {
            return (0, null);
        }
        lock (_gate)
        {
            return ((ushort)primary.Version, _senders.GetValueOrDefault(primary.Address));
        }
    }

    /// <summary>The sender's IP as a server line writes it (an IPv4 sender on a dual-mode socket as IPv4).</summary>
    private static string AddressOf(IPEndPoint sender) =>
        (sender.Address.IsIPv4MappedToIPv6 ? sender.Address.MapToIPv4() : sender.Address).ToString();

    public override void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(3060, LogLevel.Information, "old-style UDP heartbeats taken on {Endpoints} (--seed-heartbeats)")]
        public static partial void Listening(ILogger logger, string endpoints);

        [LoggerMessage(3061, LogLevel.Warning, "old-style heartbeat from {Sender} ignored: {Reason}")]
        public static partial void Refused(ILogger logger, string sender, string reason);

        [LoggerMessage(3062, LogLevel.Warning, "old-style heartbeats: the socket reported {Error}; it goes on")]
        public static partial void ReceiveFailed(ILogger logger, string error);
    }
}
