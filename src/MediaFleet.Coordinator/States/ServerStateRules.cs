using System.Globalization;

namespace MediaFleet.Coordinator.States;

/// <summary>The pure rules of DESIGN.md section 6: a server's state, damping, start-up grace and two primaries.</summary>
internal static class ServerStateRules
{
    /// <summary>Three missed heartbeats at the default 2 s interval.</summary>
    public static readonly TimeSpan DefaultDownAfter = TimeSpan.FromSeconds(6);

    /// <summary>Consecutive heartbeats needed before a better state is published; avoids flapping.</summary>
    public const int DefaultRecoverAfter = 3;

    /// <summary>
    /// Computes a server's state from its last heartbeat (null when none was ever received);
    /// the first rule that matches wins, in the order DESIGN.md section 6 lists them. A version below
    /// <paramref name="primaryVersion"/> is stale; with <paramref name="primaryFloor"/> given (the version the primary
    /// reported <c>DownAfter</c> ago), only one below the floor is: a follower gets that much time to catch up with a
    /// change. A version above the primary's is never stale: that follower has only heard of a change first.
    /// </summary>
    public static StateDecision Decide(
        Heartbeat? last, Thresholds thresholds, long? primaryVersion, DateTimeOffset now, TimeSpan downAfter, long? primaryFloor = null)
    {
        if (last is null || IsSilent(last, now, downAfter))
        {
            return new(ServerState.Down, "silent");
        }
        if (last.ForceDown)
        {
            return new(ServerState.Down, "forced down");
        }
        if (last.Load > thresholds.Down)
        {
            return new(ServerState.Down, $"load {Format(last.Load)} > {Format(thresholds.Down)}");
        }
        if (last.ForceBackup)
        {
            return new(ServerState.Backup, "forced backup");
        }
        if (last.Load > thresholds.Backup)
        {
            return new(ServerState.Backup, $"load {Format(last.Load)} > {Format(thresholds.Backup)}");
        }
        if (primaryVersion is { } primary && last.Version < Math.Min(primaryFloor ?? primary, primary))
        {
            return new(ServerState.Backup, $"stale: version {last.Version} of {primary}");
        }
        return new(ServerState.Up, "ok");
    }

    /// <summary>
    /// How many versions <paramref name="server"/> is behind the primary of its numbering (a server on the old heartbeat
    /// daemon against the old daemon's primary): 0 when level or ahead (it heard of a change first), null without that primary.
    /// </summary>
    public static long? Lag(Heartbeat server, long? primaryVersion, long? seedPrimaryVersion) =>
        (server.Seed ? seedPrimaryVersion : primaryVersion) is { } primary ? Math.Max(0, primary - server.Version) : null;

    /// <summary>True when nothing has been heard from the server for <paramref name="downAfter"/> or longer.</summary>
    public static bool IsSilent(Heartbeat last, DateTimeOffset now, TimeSpan downAfter) =>
        now - last.ReceivedAt >= downAfter;

    /// <summary>
    /// One damping step: a worse state is published at once; a better one only after
    /// <paramref name="recoverAfter"/> consecutive heartbeats computed a better state, and then the
    /// worst of those is published, so every published state was earned by the whole run.
    /// </summary>
    public static DampedState Damp(DampedState previous, ServerState computed, int recoverAfter = DefaultRecoverAfter)
    {
        if (computed >= previous.Published)
        {
            return DampedState.Settled(computed);
        }
        var count = previous.BetterCount + 1;
        var candidate = previous.BetterCount == 0 || computed > previous.Candidate ? computed : previous.Candidate;
        return count >= recoverAfter
            ? DampedState.Settled(candidate)
            : new DampedState(previous.Published, count, candidate);
    }

    /// <summary>
    /// Start-up grace: the coordinator changes nothing until <paramref name="downAfter"/> has passed,
    /// so that its own restart never takes servers down for want of heartbeats.
    /// </summary>
    public static bool MayChange(DateTimeOffset startedAt, DateTimeOffset now, TimeSpan downAfter) =>
        now - startedAt >= downAfter;

    /// <summary>
    /// Among the heartbeats that claim to be primary and are not silent, trusts the one with the
    /// highest version (the lower id on a tie, so the choice is stable); lists every claimant's id
    /// when more than one claims it.
    /// </summary>
    public static PrimaryChoice ChoosePrimary(IEnumerable<Heartbeat> heartbeats, DateTimeOffset now, TimeSpan downAfter)
    {
        var claimants = heartbeats
            .Where(h => h.Primary && !IsSilent(h, now, downAfter))
            .OrderByDescending(h => h.Version)
            .ThenBy(h => h.Id, StringComparer.Ordinal)
            .ToList();
        var conflict = claimants.Count > 1
            ? claimants.Select(h => h.Id).Order(StringComparer.Ordinal).ToList()
            : [];
        return new PrimaryChoice(claimants.FirstOrDefault(), conflict);
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
