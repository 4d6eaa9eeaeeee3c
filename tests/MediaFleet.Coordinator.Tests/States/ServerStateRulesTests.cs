using MediaFleet.Coordinator.States;
using static MediaFleet.Coordinator.Tests.States.HeartbeatBuilder;

namespace MediaFleet.Coordinator.Tests.States;

public sealed class ServerStateRulesTests
{
    private static readonly TimeSpan DownAfter = ServerStateRules.DefaultDownAfter;

    [Fact]
    public void Decide_NoHeartbeatEver_IsDownSilent()
    {
        var decision = ServerStateRules.Decide(null, Thresholds.Default, 15, Now, DownAfter);

        Assert.Equal(new StateDecision(ServerState.Down, "silent"), decision);
    }

    // Each row: the heartbeat's facts, the primary's version (-1 = no primary known), expected state and reason.
    [Theory]
    // 1. silent beats everything, and DownAfter exactly is already silent
    [InlineData(6.0, 0.1, false, false, 15, 15, "Down", "silent")]
    [InlineData(60, 9.0, true, true, 3, 15, "Down", "silent")]
    [InlineData(5.999, 0.1, false, false, 15, 15, "Up", "ok")]
    // 2. force_down, also with both force bits, and before load or staleness
    [InlineData(0, 0.1, true, false, 15, 15, "Down", "forced down")]
    [InlineData(0, 0.1, true, true, 15, 15, "Down", "forced down")]
    [InlineData(0, 2.0, true, true, 3, 15, "Down", "forced down")]
    // 3. load above down_threshold beats force_backup; equality is not above
    [InlineData(0, 1.7, false, false, 15, 15, "Down", "load 1.7 > 1.5")]
    [InlineData(0, 1.7, false, true, 15, 15, "Down", "load 1.7 > 1.5")]
    [InlineData(0, 1.5, false, false, 15, 15, "Backup", "load 1.5 > 0.7")]
    // 4. force_backup beats the backup threshold and staleness
    [InlineData(0, 0.1, false, true, 15, 15, "Backup", "forced backup")]
    [InlineData(0, 0.9, false, true, 3, 15, "Backup", "forced backup")]
    // 5. load above backup_threshold beats staleness; equality is not above
    [InlineData(0, 0.9, false, false, 15, 15, "Backup", "load 0.9 > 0.7")]
    [InlineData(0, 0.9, false, false, 12, 15, "Backup", "load 0.9 > 0.7")]
    [InlineData(0, 0.7, false, false, 15, 15, "Up", "ok")]
    // 6. stale only when a primary is known and the version is below the primary's; a follower ahead of the
    // primary's last heartbeat has only heard of a change first
    [InlineData(0, 0.3, false, false, 12, 15, "Backup", "stale: version 12 of 15")]
    [InlineData(0, 0.3, false, false, 14, 15, "Backup", "stale: version 14 of 15")]
    [InlineData(0, 0.3, false, false, 16, 15, "Up", "ok")]
    [InlineData(0, 0.3, false, false, 1, 0, "Up", "ok")]
    [InlineData(0, 0.3, false, false, 12, -1, "Up", "ok")]
    // 7. otherwise up
    [InlineData(0, 0.0, false, false, 15, 15, "Up", "ok")]
    public void Decide_FirstMatchingRuleWins(
        double ageSeconds, double load, bool forceDown, bool forceBackup, long version, long primaryVersion,
        string state, string reason)
    {
        var beat = Beat(load: load, forceDown: forceDown, forceBackup: forceBackup, version: version,
            age: TimeSpan.FromSeconds(ageSeconds));
        long? primary = primaryVersion < 0 ? null : primaryVersion;

        var decision = ServerStateRules.Decide(beat, Thresholds.Default, primary, Now, DownAfter);

        Assert.Equal(Enum.Parse<ServerState>(state), decision.State);
        Assert.Equal(reason, decision.Reason);
    }

    [Theory]
    // A follower between the floor (the primary's version an interval ago) and the primary's version is catching up.
    [InlineData(12, 12, 15, "Up", "ok")]
    [InlineData(14, 12, 15, "Up", "ok")]
    [InlineData(15, 12, 15, "Up", "ok")]
    [InlineData(11, 12, 15, "Backup", "stale: version 11 of 15")]
    [InlineData(16, 12, 15, "Up", "ok")]
    [InlineData(16, 15, 15, "Up", "ok")]
    [InlineData(14, 15, 15, "Backup", "stale: version 14 of 15")]
    public void Decide_WithAFloor_GivesAFollowerTimeToCatchUp(long version, long floor, long primaryVersion, string state, string reason)
    {
        var decision = ServerStateRules.Decide(Beat(version: version), Thresholds.Default, primaryVersion, Now, DownAfter, floor);

        Assert.Equal((Enum.Parse<ServerState>(state), reason), (decision.State, decision.Reason));
    }

    [Theory]
    [InlineData(0.5, "Up")]
    [InlineData(0.6, "Backup")]
    [InlineData(0.8, "Backup")]
    [InlineData(0.81, "Down")]
    public void Decide_UsesTheThresholdsGiven(double load, string state)
    {
        var thresholds = new Thresholds(Backup: 0.5, Down: 0.8);

        var decision = ServerStateRules.Decide(Beat(load: load), thresholds, null, Now, DownAfter);

        Assert.Equal(Enum.Parse<ServerState>(state), decision.State);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(5.999, false)]
    [InlineData(6, true)]
    [InlineData(60, true)]
    public void MayChange_OnlyOnceDownAfterHasPassedSinceStart(double secondsSinceStart, bool expected)
    {
        var startedAt = Now - TimeSpan.FromSeconds(secondsSinceStart);

        Assert.Equal(expected, ServerStateRules.MayChange(startedAt, Now, DownAfter));
    }
}
