using System.Globalization;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.Nginx;
using MediaFleet.Coordinator.States;
using Microsoft.Extensions.Time.Testing;

namespace MediaFleet.Coordinator.Tests.States;

/// <summary>
/// The registry of servers on a fake clock (DESIGN.md section 6): grace, damping, silence, thresholds per nginx
/// line, two primaries, change signals and the balancer's targets. Interval 2 s, so DownAfter is 6 s; RecoverAfter 3.
/// </summary>
public sealed class ServerRegistryTests
{
    private static readonly TimeSpan DownAfter = TimeSpan.FromSeconds(6);

    private readonly FakeTimeProvider _time = new(HeartbeatBuilder.Now);
    private readonly ServerRegistry _registry;

    public ServerRegistryTests() => _registry = new ServerRegistry(new CoordinatorOptions { HeartbeatInterval = 2 }, _time);

    /// <summary>A heartbeat from <paramref name="id"/> (address <c>{id}:8470</c>) received now on the fake clock.</summary>
    private Heartbeat Beat(string id, double load = 0.3, long version = 15, bool primary = false, bool forceDown = false, bool forceBackup = false) =>
        HeartbeatBuilder.Beat(id, load, version, primary, forceDown, forceBackup) with
        {
            Address = $"{id}:8470",
            Url = $"http://{id}:8470",
            SentAt = _time.GetUtcNow(),
            ReceivedAt = _time.GetUtcNow(),
        };

    private ServerView View(string id) => _registry.Snapshot().Single(v => v.Last.Id == id);

    private ServerState StateOf(string id) => View(id).State;

    private static ServerLine Line(string address, double backup = 0.7, double down = 1.5) => new(1, address, new Thresholds(backup, down), null);

    private void PassGrace() => _time.Advance(DownAfter);

    [Fact]
    public void Record_DuringTheGrace_PublishesTheComputedStateAtOnce()
    {
        _time.Advance(TimeSpan.FromSeconds(1));

        var changed = _registry.Record(Beat("a"));

        Assert.True(changed);
        Assert.False(_registry.GraceOver);
        Assert.Equal(ServerState.Up, StateOf("a"));
        Assert.Equal("ok", View("a").Reason);
    }

    [Fact]
    public void Record_NewServerAfterTheGrace_StartsDownAndIsUpOnlyAfterRecoverAfterHeartbeats()
    {
        PassGrace();
        var published = new List<ServerState>();

        for (var i = 0; i < 4; i++)
        {
            _registry.Record(Beat("a"));
            published.Add(StateOf("a"));
            _time.Advance(TimeSpan.FromSeconds(2));
        }

        Assert.True(_registry.GraceOver);
        Assert.Equal([ServerState.Down, ServerState.Down, ServerState.Up, ServerState.Up], published);
    }

    [Fact]
    public void Snapshot_RecoveringServer_SaysHowManyGoodHeartbeatsSoFar()
    {
        PassGrace();

        _registry.Record(Beat("a"));
        var first = View("a").Reason;
        _registry.Record(Beat("a"));
        var second = View("a").Reason;

        Assert.Equal("ok; down until 3 good heartbeats in a row (1 so far)", first);
        Assert.Equal("ok; down until 3 good heartbeats in a row (2 so far)", second);
    }

    [Theory]
    [InlineData(2.0, false, false, "down", "load 2 > 1.5")]
    [InlineData(0.3, true, false, "down", "forced down")]
    [InlineData(0.3, true, true, "down", "forced down")]
    [InlineData(0.9, false, false, "backup", "load 0.9 > 0.7")]
    [InlineData(0.3, false, true, "backup", "forced backup")]
    public void Record_WorseState_AppliesAtOnceWithItsReason(double load, bool forceDown, bool forceBackup, string expected, string reason)
    {
        PassGrace();
        for (var i = 0; i < 3; i++)
        {
            _registry.Record(Beat("a"));
        }
        Assert.Equal(ServerState.Up, StateOf("a"));

        var changed = _registry.Record(Beat("a", load, forceDown: forceDown, forceBackup: forceBackup));

        Assert.True(changed);
        Assert.Equal((expected, reason), (ServerRegistry.Name(StateOf("a")), View("a").Reason));
    }

    [Fact]
    public void Record_BetterStateAfterTheGrace_WaitsForRecoverAfterHeartbeats()
    {
        _registry.Record(Beat("a", forceDown: true));
        PassGrace();
        _registry.Record(Beat("a", forceDown: true));

        var first = _registry.Record(Beat("a"));
        var second = _registry.Record(Beat("a"));
        var third = _registry.Record(Beat("a"));

        Assert.Equal((false, false, true), (first, second, third));
        Assert.Equal(ServerState.Up, StateOf("a"));
    }

    [Fact]
    public void Tick_SilentServer_GoesDownAtDownAfterAndNotBefore()
    {
        _registry.Record(Beat("a"));

        _time.Advance(DownAfter - TimeSpan.FromTicks(1));
        var before = _registry.Tick();
        var stateBefore = StateOf("a");
        _time.Advance(TimeSpan.FromTicks(1));
        var at = _registry.Tick();

        Assert.Equal((false, ServerState.Up), (before, stateBefore));
        Assert.True(at);
        Assert.Equal((ServerState.Down, "silent"), (StateOf("a"), View("a").Reason));
    }

    [Fact]
    public void Tick_RecoveringServerFallsSilent_StaysDownAndStartsItsCountAgain()
    {
        PassGrace();
        _registry.Record(Beat("a"));
        _registry.Record(Beat("a"));
        Assert.Equal(ServerState.Down, StateOf("a")); // two of three good heartbeats

        _time.Advance(DownAfter);
        var changed = _registry.Tick();
        var silent = View("a");
        _registry.Record(Beat("a"));
        var afterOne = StateOf("a");
        _registry.Record(Beat("a"));
        _registry.Record(Beat("a"));

        Assert.False(changed); // it was published down all along
        Assert.Equal((ServerState.Down, "silent"), (silent.State, silent.Reason));
        Assert.Equal(ServerState.Down, afterOne); // the two good heartbeats before the silence no longer count
        Assert.Equal(ServerState.Up, StateOf("a"));
    }

    [Fact]
    public void StateOf_SameAddressOnTwoLinesWithOtherThresholds_DiffersPerLine()
    {
        var strict = Line("a:8470", backup: 0.4, down: 0.8);
        var lenient = Line("a:8470", backup: 0.7, down: 1.5);
        _registry.UseLines([strict, lenient]);

        _registry.Record(Beat("a", load: 0.5));
        var at05 = (_registry.StateOf(strict), _registry.StateOf(lenient));
        _registry.Record(Beat("a", load: 1.0));
        var at10 = (_registry.StateOf(strict), _registry.StateOf(lenient));

        Assert.Equal((ServerState.Backup, ServerState.Up), at05);
        Assert.Equal((ServerState.Down, ServerState.Backup), at10);
    }

    [Fact]
    public void StateOf_PerLineDamping_EachLineEarnsItsOwnWayBack()
    {
        var strict = Line("a:8470", backup: 0.4, down: 0.8);
        var lenient = Line("a:8470", backup: 0.7, down: 1.5);
        _registry.UseLines([strict, lenient]);
        _registry.Record(Beat("a", load: 0.5));
        PassGrace();
        _registry.Record(Beat("a", load: 1.0)); // strict: down, lenient: backup

        _registry.Record(Beat("a", load: 0.3));
        _registry.Record(Beat("a", load: 0.3));
        var afterTwo = (_registry.StateOf(strict), _registry.StateOf(lenient));
        _registry.Record(Beat("a", load: 0.3));

        Assert.Equal((ServerState.Down, ServerState.Backup), afterTwo);
        Assert.Equal((ServerState.Up, ServerState.Up), (_registry.StateOf(strict), _registry.StateOf(lenient)));
    }

    [Fact]
    public void StateOf_AddressNoNodeReports_IsDown()
    {
        _registry.Record(Beat("a"));

        var state = _registry.StateOf(Line("z:8470"));

        Assert.Equal(ServerState.Down, state);
    }

    [Fact]
    public void StateOf_SilentServer_IsDownEvenBeforeATick()
    {
        _registry.Record(Beat("a"));

        _time.Advance(DownAfter);

        Assert.Equal(ServerState.Down, _registry.StateOf(Line("a:8470")));
    }

    [Fact]
    public void Snapshot_ServerOnNoLine_IsJudgedByTheConfiguredThresholds()
    {
        var registry = new ServerRegistry(new CoordinatorOptions { HeartbeatInterval = 2, BackupThreshold = 0.2, DownThreshold = 0.25 }, _time);
        registry.UseLines([Line("other:8470")]);

        registry.Record(Beat("a", load: 0.22));

        var view = Assert.Single(registry.Snapshot());
        Assert.Equal((ServerState.Backup, "load 0.22 > 0.2"), (view.State, view.Reason));
    }

    [Fact]
    public void Record_TwoPrimaries_ReportsTheConflictAndTrustsTheHigherVersion()
    {
        _registry.Record(Beat("p1", version: 10, primary: true));
        _registry.Record(Beat("f1", version: 10));
        _registry.Record(Beat("p2", version: 12, primary: true));
        _registry.Record(Beat("f2", version: 12));
        // Staleness is judged when a server reports its version: p1 and f1 are stale from their next heartbeats.
        _registry.Record(Beat("p1", version: 10, primary: true));
        _registry.Record(Beat("f1", version: 10));

        var views = _registry.Snapshot().ToDictionary(v => v.Last.Id, v => (v.State, v.Reason));

        Assert.Equal(["p1", "p2"], _registry.PrimaryConflict);
        Assert.Equal((ServerState.Backup, "stale: version 10 of 12"), views["p1"]);
        Assert.Equal((ServerState.Backup, "stale: version 10 of 12"), views["f1"]);
        Assert.Equal((ServerState.Up, "ok"), views["p2"]);
        Assert.Equal((ServerState.Up, "ok"), views["f2"]);
    }

    [Fact]
    public void PrimaryConflict_TrustedClaimantFallsSilent_IsClearedAndTheOthersEarnUpAgain()
    {
        _registry.Record(Beat("p1", version: 10, primary: true));
        _registry.Record(Beat("p2", version: 12, primary: true));
        _time.Advance(TimeSpan.FromSeconds(4));
        _registry.Record(Beat("p1", version: 10, primary: true));
        _registry.Record(Beat("f1", version: 10));

        _time.Advance(TimeSpan.FromSeconds(2)); // p2 silent for DownAfter, p1 and f1 heard 2 s ago
        _registry.Tick();
        var conflict = _registry.PrimaryConflict;
        var atSilence = (StateOf("p1"), StateOf("p2"), StateOf("f1"));
        for (var i = 0; i < 3; i++)
        {
            _registry.Record(Beat("p1", version: 10, primary: true));
            _registry.Record(Beat("f1", version: 10));
        }

        Assert.Empty(conflict);
        // No longer stale, but a better state is published only after RecoverAfter heartbeats, as always.
        Assert.Equal((ServerState.Backup, ServerState.Down, ServerState.Backup), atSilence);
        Assert.Equal((ServerState.Up, ServerState.Up), (StateOf("p1"), StateOf("f1")));
    }

    [Fact]
    public async Task WaitForChangeAsync_CompletesOnAPublishedChangeOnly()
    {
        _registry.Record(Beat("a"));
        var seen = _registry.ChangeCount;
        var wait = _registry.WaitForChangeAsync(seen, CancellationToken.None);

        var sameState = _registry.Record(Beat("a", load: 0.5)); // still up: a new heartbeat, not a change
        var quiet = _registry.Tick();
        var stillWaiting = !wait.IsCompleted;
        var countUnchanged = _registry.ChangeCount == seen;
        var worse = _registry.Record(Beat("a", forceBackup: true));

        Assert.Equal((false, false, true, true, true), (sameState, quiet, stillWaiting, countUnchanged, worse));
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(seen + 1, _registry.ChangeCount);
    }

    [Fact]
    public void WaitForChangeAsync_AfterAMissedChange_IsAlreadyComplete()
    {
        var seen = _registry.ChangeCount;
        _registry.Record(Beat("a"));

        var wait = _registry.WaitForChangeAsync(seen, CancellationToken.None);

        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForChangeAsync_ServerFallsSilent_CompletesOnTheTick()
    {
        _registry.Record(Beat("a"));
        var wait = _registry.WaitForChangeAsync(_registry.ChangeCount, CancellationToken.None);

        _time.Advance(DownAfter);
        Assert.False(wait.IsCompleted);
        _registry.Tick();

        await wait.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task WaitForChangeAsync_Cancelled_EndsWithoutAChange()
    {
        using var cancel = new CancellationTokenSource();
        var wait = _registry.WaitForChangeAsync(_registry.ChangeCount, cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    [Fact]
    public void Targets_SomeUp_AreTheUpServersInIdOrder()
    {
        _registry.Record(Beat("d"));
        _registry.Record(Beat("b", forceBackup: true));
        _registry.Record(Beat("c", forceDown: true));
        _registry.Record(Beat("a"));

        Assert.Equal(["a", "d"], _registry.Targets().Select(t => t.Id));
    }

    [Fact]
    public void Targets_NoneUp_AreTheBackupServers()
    {
        _registry.Record(Beat("a", load: 0.9));
        _registry.Record(Beat("b", forceBackup: true));
        _registry.Record(Beat("c", forceDown: true));

        Assert.Equal(["a", "b"], _registry.Targets().Select(t => t.Id));
    }

    [Fact]
    public void Targets_AllDownOrSilent_IsEmpty()
    {
        _registry.Record(Beat("a"));
        _time.Advance(TimeSpan.FromSeconds(3));
        _registry.Record(Beat("b", forceDown: true));
        _registry.Record(Beat("c", load: 2));

        _time.Advance(TimeSpan.FromSeconds(3)); // "a" silent for DownAfter

        Assert.Empty(_registry.Targets());
        Assert.Equal("silent", View("a").Reason);
    }

    [Fact]
    public void Record_FollowerBehindARecentChange_StaysUpForDownAfter_ThenIsStale()
    {
        _registry.Record(Beat("p", version: 10, primary: true));
        _registry.Record(Beat("f", version: 10));
        _time.Advance(TimeSpan.FromSeconds(1));
        _registry.Record(Beat("p", version: 11, primary: true));

        _time.Advance(TimeSpan.FromSeconds(2));
        _registry.Record(Beat("f", version: 10)); // still applying version 11: not stale yet
        var whileCatchingUp = View("f");
        _time.Advance(TimeSpan.FromSeconds(2));
        _registry.Record(Beat("p", version: 11, primary: true));
        _registry.Tick(); // a tick never judges versions: f may have caught up since it last said
        var afterTick = StateOf("f");
        _time.Advance(TimeSpan.FromSeconds(2)); // 6 s since the primary reported 11
        _registry.Record(Beat("f", version: 10));

        Assert.Equal((ServerState.Up, "ok"), (whileCatchingUp.State, whileCatchingUp.Reason));
        Assert.Equal(ServerState.Up, afterTick);
        Assert.Equal((ServerState.Backup, "stale: version 10 of 11"), (StateOf("f"), View("f").Reason));
    }

    [Fact]
    public void Record_FollowerAheadOfThePrimary_HasHeardOfTheChangeFirst_AndIsNotStale()
    {
        _registry.Record(Beat("p", version: 10, primary: true));
        _registry.Record(Beat("f", version: 10));

        var changed = _registry.Record(Beat("f", version: 11));

        Assert.False(changed);
        Assert.Equal((ServerState.Up, "ok"), (StateOf("f"), View("f").Reason));
    }

    // Each row: heartbeats in time order as "<id><version>@<second>" (p is the primary, f a follower), the states
    // published for f after each of its heartbeats (U up, B backup), and how many published changes the heartbeats
    // after the first of each server made. DownAfter is 6 s: below the version the primary reported 6 s ago is stale.
    [Theory]
    // one ingest, the follower heartbeats first: it has only heard of the change first (no change, no reload)
    [InlineData("p10@0 f10@0 f11@1 p11@2 f11@3", "UUU", 0)]
    [InlineData("p0@0 f0@0 f1@0.5 f1@1 p1@1.5 f1@2", "UUUU", 0)]
    // one ingest, the primary first, the follower applies it within DownAfter
    [InlineData("p10@0 f10@0 p11@1 f10@2 f11@3", "UUU", 0)]
    // ingests in a row, the follower sometimes ahead, sometimes behind, never by DownAfter
    [InlineData("p10@0 f10@0 f11@1 p11@2 f11@3 p12@4 f12@5 f13@6 p13@6.5 f13@7", "UUUUUU", 0)]
    // the follower still below the primary's version DownAfter after the primary reported it: stale
    [InlineData("p10@0 f10@0 p11@1 f10@4 p11@5 f10@7", "UUB", 1)]
    // a long ingest (a change every 2 s): the floor is what the primary reported DownAfter ago, not before its first change
    [InlineData("p10@0 f10@0 p11@2 f10@3 p12@4 f10@5 p13@6 f10@7 p14@8 f10@9", "UUUUB", 1)]
    [InlineData("p10@0 f10@0 p11@2 f10@3 p12@4 f11@5 p13@6 f12@7 p14@8 f13@9 p15@10 f14@11", "UUUUUU", 0)]
    public void Record_IngestTheFollowerAppliesWithinDownAfter_ChangesNoState(string beats, string followerStates, int changes)
    {
        var start = _time.GetUtcNow();
        var heard = new HashSet<string>(StringComparer.Ordinal);
        var published = new List<char>();
        var changed = 0;

        foreach (var beat in beats.Split(' '))
        {
            var (id, version, at) = (beat[..1], long.Parse(beat[1..beat.IndexOf('@')], CultureInfo.InvariantCulture),
                double.Parse(beat[(beat.IndexOf('@') + 1)..], CultureInfo.InvariantCulture));
            _time.Advance(start + TimeSpan.FromSeconds(at) - _time.GetUtcNow());
            var first = heard.Add(id);
            if (_registry.Record(Beat(id, version: version, primary: id == "p")) && !first)
            {
                changed++;
            }
            if (id == "f")
            {
                published.Add(StateOf("f").ToString()[0]);
            }
        }

        Assert.Equal(followerStates, new string([.. published]));
        Assert.Equal(changes, changed);
        Assert.Equal(ServerState.Up, StateOf("p"));
    }
}
