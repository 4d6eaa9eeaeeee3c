using System.Net;
using MediaFleet.Coordinator.Seed;

namespace MediaFleet.Coordinator.Tests.Seed;

/// <summary>The old heartbeat daemon's packet and acknowledgement, byte by byte (issue 13, item 6).</summary>
public sealed class SeedPacketTests
{
    [Fact]
    public void TryRead_AHeartbeat_GivesLoadFlagsAndVersion()
    {
        // version 1, op 0, load 1.25 (125), force backup + primary, data version 513
        Assert.True(SeedPacket.TryRead([1, 0, 0, 125, 0x60, 2, 1], out var packet, out _));

        Assert.Equal(new SeedPacket(1.25, ForceDown: false, ForceBackup: true, Primary: true, Version: 513), packet);
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0, 10, 0, 0 }, "6 bytes")]
    [InlineData(new byte[] { 1, 0, 0, 10, 0, 0, 1, 0 }, "8 bytes")]
    [InlineData(new byte[] { 1, 3, 0, 10, 0, 0, 1 }, "op 3")]
    [InlineData(new byte[] { 2, 0, 0, 10, 0, 0, 1 }, "protocol version 2")]
    public void TryRead_NotAHeartbeat_IsRefusedWithTheReason(byte[] bytes, string reason)
    {
        Assert.False(SeedPacket.TryRead(bytes, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteAck_CarriesTheVersionAndThePrimarysSockaddrIn()
    {
        var ack = new byte[SeedPacket.AckLength];

        SeedPacket.WriteAck(ack, 0x1234, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 8001));

        Assert.Equal(new byte[] { 1, 7, 0x12, 0x34, 2, 0, 0x1f, 0x41, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0 }, ack);
    }

    [Fact]
    public void WriteAck_WithoutAPrimary_LeavesTheSockaddrZero()
    {
        var ack = Enumerable.Repeat((byte)0xff, SeedPacket.AckLength).ToArray();

        SeedPacket.WriteAck(ack, 7, null);

        Assert.Equal(new byte[] { 1, 7, 0, 7 }.Concat(new byte[16]), ack);
    }
}
