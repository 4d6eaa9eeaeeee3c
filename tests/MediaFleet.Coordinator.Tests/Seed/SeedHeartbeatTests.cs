using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using MediaFleet.Coordinator.Seed;
using MediaFleet.Coordinator.Tests.Nginx;
using MediaFleet.Testing;

namespace MediaFleet.Coordinator.Tests.Seed;

/// <summary>
/// <c>--seed-heartbeats</c> (issue 13, item 6): the old heartbeat daemon's UDP packets from two servers (127.0.0.1, the
/// primary, and ::1) move their nginx lines by the same rules as MediaFleet heartbeats, each packet is acked with the
/// old server's bytes, and a malformed packet changes nothing and is logged once.
/// </summary>
[SupportedOSPlatform("linux")] // the nginx commands are sh
public sealed class SeedHeartbeatTests
{
    private const string Before = "server 127.0.0.1:8081 down;\nserver [::1]:8082 down;\n";
    private const string Up = "server 127.0.0.1:8081;\nserver [::1]:8082;\n";

    [Fact]
    public async Task OldStyleHeartbeats_MoveTheirLines_AndAreAcked_AndMalformedOnesChangeNothing()
    {
        var logs = new CapturedLogs();
        await using var kept = await KeptNginxFile.StartAsync(Before, logs: logs, settings: new Dictionary<string, string?>
        {
            ["Coordinator:SeedHeartbeats"] = "udp://localhost:0",
        });
        var listener = kept.Coordinator.Services.GetRequiredService<SeedHeartbeatListener>();
        var port = listener.Bound[0].Port;
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], listener.Bound.Select(b => b.Address));
        Assert.All(listener.Bound, b => Assert.Equal(port, b.Port));
        await using var primary = OldDaemon.Start(new IPEndPoint(IPAddress.Loopback, port), Packet(load: 10, flags: 0x20, version: 5));
        await using var follower = OldDaemon.Start(new IPEndPoint(IPAddress.IPv6Loopback, port), Packet(load: 10, flags: 0, version: 5));

        await kept.FileIsAsync(Up);
        await kept.ReloadsAreAsync(1);
        await Eventually.TrueAsync(() => primary.Acks.Count > 0 && follower.Acks.Count > 0, "acks to both");
        // 1, 7 (ack), version 5, then the primary's sockaddr_in: AF_INET in host order, its port, 127.0.0.1, zeros.
        var expected = new byte[] { 1, 7, 0, 5, 2, 0, (byte)(primary.Port >> 8), (byte)primary.Port, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
        await Eventually.TrueAsync(() => follower.Acks.LastOrDefault()?.SequenceEqual(expected) == true, "the follower's ack to name the primary");
        Assert.Equal(expected, primary.Acks.Last());
        var nodes = await kept.Coordinator.Client.GetNodesAsync(CancellationToken.None);
        Assert.Equal(["up", "up"], nodes.OrderBy(n => n.Id, StringComparer.Ordinal).Select(n => n.State));

        // Malformed: a short packet and an unknown op are each logged once, answered with nothing, and change nothing.
        var acks = follower.Acks.Count;
        follower.Send([1, 0, 0, 10, 0, 0]);
        follower.Send([1, 3, 0, 10, 0, 0, 5]);
        await Eventually.TrueAsync(() => logs.WithId(3061).Count == 2, "two refusals to be logged");
        Assert.Contains("6 bytes", logs.WithId(3061)[0].Message, StringComparison.Ordinal);
        Assert.Contains("op 3", logs.WithId(3061)[1].Message, StringComparison.Ordinal);

        // The same rules as MediaFleet heartbeats: forced backup, then stale (behind the old primary), then silent.
        follower.Packet = Packet(load: 10, flags: 0x40, version: 5);
        await kept.FileIsAsync("server 127.0.0.1:8081;\nserver [::1]:8082 backup;\n");
        // The first change since the lines came up: the malformed packets before it moved nothing.
        await kept.ReloadsAreAsync(2);
        Assert.True(follower.Acks.Count > acks);
        follower.Packet = Packet(load: 10, flags: 0, version: 5);
        await kept.FileIsAsync(Up);
        primary.Packet = Packet(load: 10, flags: 0x20, version: 9);
        await kept.FileIsAsync("server 127.0.0.1:8081;\nserver [::1]:8082 backup;\n");
        Assert.StartsWith("stale", (await kept.Coordinator.Client.GetNodesAsync(CancellationToken.None)).Single(n => n.Id == "seed-::1").Reason, StringComparison.Ordinal);
        await follower.DisposeAsync();
        await kept.FileIsAsync("server 127.0.0.1:8081;\nserver [::1]:8082 down;\n");
        primary.Packet = Packet(load: 10, flags: 0x80 | 0x20, version: 9);
        await kept.FileIsAsync("server 127.0.0.1:8081 down;\nserver [::1]:8082 down;\n");
    }

    private static byte[] Packet(ushort load, byte flags, ushort version) =>
        [1, 0, (byte)(load >> 8), (byte)load, flags, (byte)(version >> 8), (byte)version];

    /// <summary>An old heartbeat daemon: sends its packet every 100 ms from its own loopback address and keeps the acks.</summary>
    private sealed class OldDaemon : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly IPEndPoint _coordinator;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<byte[]> _acks = [];
        private Task _running = Task.CompletedTask;

        private OldDaemon(IPEndPoint coordinator, byte[] packet)
        {
            _coordinator = coordinator;
            Packet = packet;
            _socket = new Socket(coordinator.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            _socket.Bind(new IPEndPoint(coordinator.Address, 0));
        }

        public byte[] Packet { get; set; }

        public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

        public IReadOnlyList<byte[]> Acks
        {
            get
            {
                lock (_acks)
                {
                    return [.. _acks];
                }
            }
        }

        public static OldDaemon Start(IPEndPoint coordinator, byte[] packet)
        {
            var daemon = new OldDaemon(coordinator, packet);
            daemon._running = Task.WhenAll(daemon.SendAsync(), daemon.ReceiveAsync());
            return daemon;
        }

        public void Send(byte[] bytes) => _socket.SendTo(bytes, _coordinator);

        private async Task SendAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Send(Packet);
                await Task.Delay(100, CancellationToken.None);
            }
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[1024];
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    lock (_acks)
                    {
                        _acks.Add(buffer[..read]);
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }
            await _stop.CancelAsync();
            await _running;
            _socket.Dispose();
            _stop.Dispose();
        }
    }
}
