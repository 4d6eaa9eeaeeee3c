using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MediaFleet.Coordinator.Seed;

/// <summary>
/// One heartbeat of the old heartbeat daemon (UDP, 7 bytes): byte 0 protocol version 1, byte 1 op 0 (heartbeat),
/// bytes 2–3 load × 100 (1-minute load average per core, network order), byte 4 flags (0x80 force down, 0x40 force
/// backup, 0x20 primary), bytes 5–6 the data version (uint16, network order).
/// </summary>
internal readonly record struct SeedPacket(double Load, bool ForceDown, bool ForceBackup, bool Primary, ushort Version)
{
    public const int Length = 7;
    public const byte ProtocolVersion = 1;
    public const byte HeartbeatOp = 0;
    public const byte AckOp = 7;

    /// <summary>The acknowledgement: version, ack op, the current version, then the primary's <c>sockaddr_in</c>.</summary>
    public const int AckLength = 4 + SockaddrLength;

    private const int SockaddrLength = 16;
    private const byte ForceDownFlag = 0x80;
    private const byte ForceBackupFlag = 0x40;
    private const byte PrimaryFlag = 0x20;

    /// <summary>Reads a packet; false with the reason in one line when it is not an old-style heartbeat.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out SeedPacket heartbeat, out string error)
    {
        heartbeat = default;
        if (packet.Length != Length)
        {
            error = $"{packet.Length} bytes, not the {Length} of a heartbeat";
            return false;
        }
        if (packet[0] != ProtocolVersion)
        {
            error = $"protocol version {packet[0]}, not {ProtocolVersion}";
            return false;
        }
        if (packet[1] != HeartbeatOp)
        {
            error = $"op {packet[1]}, not {HeartbeatOp} (heartbeat)";
            return false;
        }
        var flags = packet[4];
        heartbeat = new SeedPacket(
            BinaryPrimitives.ReadUInt16BigEndian(packet[2..4]) / 100.0,
            (flags & ForceDownFlag) != 0,
            (flags & ForceBackupFlag) != 0,
            (flags & PrimaryFlag) != 0,
            BinaryPrimitives.ReadUInt16BigEndian(packet[5..7]));
        error = "";
        return true;
    }

    /// <summary>
    /// Writes the old server's acknowledgement into <paramref name="ack"/> (<see cref="AckLength"/> bytes): 1, 7, the
    /// current version (uint16, network order), then the primary's <c>sockaddr_in</c> as Linux lays it out (family 2 in
    /// host order, port and address in network order, 8 bytes of zero); all zero when no primary is known or it is
    /// not IPv4.
    /// </summary>
    public static void WriteAck(Span<byte> ack, ushort currentVersion, IPEndPoint? primary)
    {
        ack[..AckLength].Clear();
        ack[0] = ProtocolVersion;
        ack[1] = AckOp;
        BinaryPrimitives.WriteUInt16BigEndian(ack[2..4], currentVersion);
        var address = primary?.Address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : primary?.Address;
        if (address is { AddressFamily: AddressFamily.InterNetwork })
        {
            var sockaddr = ack[4..];
            BinaryPrimitives.WriteUInt16LittleEndian(sockaddr[..2], (ushort)AddressFamily.InterNetwork);
            BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..4], (ushort)primary!.Port);
            address.TryWriteBytes(sockaddr[4..8], out _);
        }
    }
}
