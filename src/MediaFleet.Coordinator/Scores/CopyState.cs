using System.Globalization;

namespace MediaFleet.Coordinator.Scores;

/// <summary>What a node holds at a library path, compared with the primary's catalog entry for it.</summary>
internal enum CopyHealth : byte
{
    /// <summary>First, so that a fresh column (all zeros) holds no copies.</summary>
    Absent = 0,
    Ok = 1,
    Corrupt = 2,
    OtherDigest = 3,
}

/// <summary>
/// One node's copy of one file: its health and, for a good copy, when the scrubber last verified it.
/// Packed into 8 bytes (health in the top two bits, UTC ticks below) because a column holds one per file:
/// 5 nodes × 1,000,000 files is 40 MB this way, 80 MB as a padded (byte, long) pair.
/// </summary>
internal readonly record struct CopyState
{
    private const int HealthShift = 62;
    private const ulong TicksMask = (1UL << HealthShift) - 1;

    // DateTime.MaxValue.Ticks < 2^62, so every instant fits below the health bits; 0 ticks means never verified.
    private readonly ulong _bits;

    private CopyState(CopyHealth health, long verifiedAtTicks) =>
        _bits = ((ulong)health << HealthShift) | (ulong)verifiedAtTicks;

    public static CopyState Absent => default;

    public static CopyState Corrupt { get; } = new(CopyHealth.Corrupt, 0);

    public static CopyState OtherDigest { get; } = new(CopyHealth.OtherDigest, 0);

    /// <summary>A copy with the right digest, not known to be corrupt; <paramref name="verifiedAt"/> null when never verified.</summary>
    public static CopyState Ok(DateTimeOffset? verifiedAt) => new(CopyHealth.Ok, verifiedAt?.UtcTicks ?? 0);

    public CopyHealth Health => (CopyHealth)(_bits >> HealthShift);

    /// <summary>When the copy was last verified (UTC); null when never, and for any copy that is not <see cref="CopyHealth.Ok"/>.</summary>
    public DateTimeOffset? VerifiedAt => VerifiedAtTicks == 0 ? null : new DateTimeOffset(VerifiedAtTicks, TimeSpan.Zero);

    /// <summary>UTC ticks of <see cref="VerifiedAt"/>, 0 when never verified: the scorer's comparison without a conversion.</summary>
    public long VerifiedAtTicks => (long)(_bits & TicksMask);

    public override string ToString() => Health == CopyHealth.Ok
        ? $"Ok (verified {VerifiedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "never"})"
        : Health.ToString();
}
