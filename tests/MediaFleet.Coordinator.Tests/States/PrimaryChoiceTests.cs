using MediaFleet.Coordinator.States;
using static MediaFleet.Coordinator.Tests.States.HeartbeatBuilder;

namespace MediaFleet.Coordinator.Tests.States;

public sealed class PrimaryChoiceTests
{
    private static readonly TimeSpan DownAfter = ServerStateRules.DefaultDownAfter;

    [Fact]
    public void ChoosePrimary_NoClaimant_TrustsNoneAndReportsNoConflict()
    {
        var choice = ServerStateRules.ChoosePrimary([Beat("a"), Beat("b")], Now, DownAfter);

        Assert.Null(choice.Trusted);
        Assert.False(choice.HasConflict);
        Assert.Empty(choice.ConflictIds);
    }

    [Fact]
    public void ChoosePrimary_OneClaimant_IsTrustedWithoutConflict()
    {
        var choice = ServerStateRules.ChoosePrimary([Beat("a"), Beat("p", primary: true)], Now, DownAfter);

        Assert.Equal("p", choice.Trusted?.Id);
        Assert.False(choice.HasConflict);
    }

    [Theory]
    [InlineData(20, 15, "a")]
    [InlineData(15, 20, "b")]
    [InlineData(15, 15, "a")]
    public void ChoosePrimary_TwoClaimants_TrustsHigherVersionAndReportsBoth(long versionA, long versionB, string trusted)
    {
        Heartbeat[] beats = [Beat("b", version: versionB, primary: true), Beat("a", version: versionA, primary: true), Beat("c")];

        var choice = ServerStateRules.ChoosePrimary(beats, Now, DownAfter);

        Assert.Equal(trusted, choice.Trusted?.Id);
        Assert.True(choice.HasConflict);
        Assert.Equal(["a", "b"], choice.ConflictIds);
    }

    [Fact]
    public void ChoosePrimary_SilentClaimant_IsIgnored()
    {
        Heartbeat[] beats = [Beat("a", version: 20, primary: true, age: DownAfter), Beat("b", version: 15, primary: true)];

        var choice = ServerStateRules.ChoosePrimary(beats, Now, DownAfter);

        Assert.Equal("b", choice.Trusted?.Id);
        Assert.False(choice.HasConflict);
    }

    [Fact]
    public void TrustedPrimaryVersion_MakesTheOtherClaimantStale()
    {
        var older = Beat("b", version: 15, primary: true);
        var choice = ServerStateRules.ChoosePrimary([Beat("a", version: 20, primary: true), older], Now, DownAfter);

        var decision = ServerStateRules.Decide(older, Thresholds.Default, choice.Trusted?.Version, Now, DownAfter);

        Assert.Equal(new StateDecision(ServerState.Backup, "stale: version 15 of 20"), decision);
    }
}
