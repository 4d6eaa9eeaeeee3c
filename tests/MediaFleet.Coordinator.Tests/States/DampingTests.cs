using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Tests.States;

public sealed class DampingTests
{
    // Each row: the published state, then the states computed by successive heartbeats, then the
    // states published after each of them (U = up, B = backup, D = down), RecoverAfter = 3.
    [Theory]
    [InlineData('U', "UUU", "UUU")]
    [InlineData('U', "D", "D")]
    [InlineData('U', "B", "B")]
    [InlineData('B', "D", "D")]
    [InlineData('D', "UUU", "DDU")]
    [InlineData('D', "UUUU", "DDUU")]
    [InlineData('B', "UUU", "BBU")]
    [InlineData('D', "BBB", "DDB")]
    // a relapse restarts the count, and a worse state still applies at once
    [InlineData('D', "UUDUUU", "DDDDDU")]
    [InlineData('D', "UUBUU", "DDBBB")]
    [InlineData('B', "UUBUUU", "BBBBBU")]
    [InlineData('B', "UUDUUU", "BBDDDU")]
    // recovering from down through mixed better states publishes the worst of the run
    [InlineData('D', "BUU", "DDB")]
    [InlineData('D', "UUB", "DDB")]
    [InlineData('D', "UBUUUU", "DDBBBU")]
    // flapping load never publishes up
    [InlineData('U', "BUBUBU", "BBBBBB")]
    public void Damp_WorseAppliesAtOnce_BetterAfterRecoverAfterHeartbeats(char start, string computed, string published)
    {
        var state = DampedState.Settled(From(start));
        var actual = new List<char>();

        foreach (var c in computed)
        {
            state = ServerStateRules.Damp(state, From(c));
            actual.Add(To(state.Published));
        }

        Assert.Equal(published, new string([.. actual]));
    }

    [Fact]
    public void Damp_RecoverAfterOne_AppliesBetterAtOnce()
    {
        var state = ServerStateRules.Damp(DampedState.Settled(ServerState.Down), ServerState.Up, recoverAfter: 1);

        Assert.Equal(DampedState.Settled(ServerState.Up), state);
    }

    [Fact]
    public void Damp_CountsBetterHeartbeats()
    {
        var state = ServerStateRules.Damp(DampedState.Settled(ServerState.Down), ServerState.Up);

        Assert.Equal(new DampedState(ServerState.Down, 1, ServerState.Up), state);
    }

    private static ServerState From(char c) => c switch
    {
        'U' => ServerState.Up,
        'B' => ServerState.Backup,
        'D' => ServerState.Down,
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    private static char To(ServerState state) => state.ToString()[0];
}
