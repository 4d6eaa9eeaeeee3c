using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MediaFleet.Coordinator.Seed;
using MediaFleet.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MediaFleet.Coordinator.Tests.Host;

/// <summary>
/// The coordinator's per-server gauges that alerts name a server by: state, lag, missing and free space, with
/// <c>node</c> and <c>site</c>. Lag counts within one numbering: a MediaFleet node against the MediaFleet primary, an
/// old daemon (--seed-heartbeats) against the old primary.
/// </summary>
public sealed partial class ServerGaugesTests
{
    [Fact]
    public async Task ServerGauges_NameEachServer_AndCompareVersionsWithinOneNumbering()
    {
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?>
        {
            ["Coordinator:SeedHeartbeats"] = "udp://127.0.0.1:0",
            ["Coordinator:BackupThreshold"] = "1000",
            ["Coordinator:DownThreshold"] = "1000",
        });
        // Names no other test uses: coordinators in one process export each other's gauges too (they share the meter's name).
        var node = "p-" + Guid.NewGuid().ToString("N")[..12];
        byte[] net = [127, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)];
        var (oldPrimary, oldFollower) = (new IPAddress([.. net, 1]), new IPAddress([.. net, 2]));
        var settings = coordinator.NodeSettings(node);
        settings["Node:Site"] = "home";
        await using var primary = await TestNode.StartAsync(settings: settings);
        var seed = coordinator.Services.GetRequiredService<SeedHeartbeatListener>().Bound[0];
        using var stop = new CancellationTokenSource();
        // The old primary at version 9 and an old follower at version 5, from two loopback addresses of their own.
        var oldDaemons = Task.WhenAll(
            SendAsync(oldPrimary, seed, [1, 0, 0, 10, 0x20, 0, 9], stop.Token),
            SendAsync(oldFollower, seed, [1, 0, 0, 10, 0, 0, 5], stop.Token));
        string[] ours = [node, $"seed-{oldPrimary}", $"seed-{oldFollower}"];

        var metrics = "";
        await Eventually.TrueAsync(async () => Lag().Matches(metrics = await coordinator.Http.GetStringAsync("metrics"))
            .Count(m => ours.Contains(m.Groups["node"].Value)) == 3, "lag gauges of the node and both old daemons");
        await stop.CancelAsync();
        await oldDaemons;

        var lag = Lag().Matches(metrics).Where(m => ours.Contains(m.Groups["node"].Value)).ToDictionary(m => m.Groups["node"].Value, m => m.Groups["value"].Value);
        Assert.Equal("0", lag[node]); // not 9 behind the old primary: its versions are another numbering
        Assert.Equal("0", lag[ours[1]]);
        Assert.Equal("4", lag[ours[2]]);
        // A state set: one series per state, 1 for the one the node is published in (up or down, as it is still recovering).
        var states = Regex.Matches(metrics, $@"(?m)^mfleet_coordinator_server_state\{{[^}}]*node=""{node}"",site=""home"",state=""(\w+)""\}} ([01])$")
            .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["backup", "down", "up"], states.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, states.Values.Sum());
        Assert.Matches($@"(?m)^mfleet_coordinator_server_missing\{{[^}}]*node=""{node}"",site=""home""\}} 0$", metrics);
        Assert.Matches($@"(?m)^mfleet_coordinator_server_free_bytes\{{[^}}]*node=""{node}"",site=""home""\}} [1-9]\d*$", metrics);
        // The old daemon's packets say nothing of missing files or free space: no series rather than a 0.
        Assert.DoesNotMatch($@"(?m)^mfleet_coordinator_server_(missing|free_bytes)\{{[^}}]*node=""seed-127\.{net[1]}\.{net[2]}\.", metrics);
    }

    /// <summary>An old heartbeat daemon on <paramref name="from"/>: its 7-byte packet every 100 ms until stopped.</summary>
    private static async Task SendAsync(IPAddress from, IPEndPoint coordinator, byte[] packet, CancellationToken stop)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(from, 0));
        while (!stop.IsCancellationRequested)
        {
            await socket.SendToAsync(packet, coordinator, CancellationToken.None);
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [GeneratedRegex(@"(?m)^mfleet_coordinator_server_lag\{[^}]*node=""(?<node>[^""]+)""[^}]*\} (?<value>\d+)$")]
    private static partial Regex Lag();
}
