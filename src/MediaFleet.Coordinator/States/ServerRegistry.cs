using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.Nginx;

namespace MediaFleet.Coordinator.States;

/// <summary>
/// Every server the coordinator has heard of, its last heartbeat and its published (damped) state, kept per set
/// of thresholds because each nginx <c>server</c> line may carry its own. Heartbeats move states; a clock tick only
/// makes silent servers worse. Thread-safe; the rules themselves are the pure <see cref="ServerStateRules"/>.
/// </summary>
internal sealed class ServerRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Server> _servers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _idByAddress = new(StringComparer.Ordinal);
    private readonly CoordinatorOptions _options;
    private readonly TimeProvider _time;
    private ILookup<string, Thresholds> _lineThresholds = Array.Empty<ServerLine>().ToLookup(l => l.Address, l => l.Thresholds);
    private ILookup<string, Thresholds> _hostThresholds = Array.Empty<ServerLine>().ToLookup(l => l.Address, l => l.Thresholds);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<string> _conflict = [];

    // MediaFleet nodes and the old daemon's (seed) servers each have their own primary: their versions do not compare.
    private readonly PrimaryVersions _primary = new();
    private readonly PrimaryVersions _seedPrimary = new();

    public ServerRegistry(CoordinatorOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        StartedAt = time.GetUtcNow();
    }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Counts published changes; lets a waiter tell whether it missed one.</summary>
    public long ChangeCount { get; private set; }

    /// <summary>Start-up grace (DESIGN.md section 6): nothing is taken down for silence until <c>DownAfter</c> has passed.</summary>
    public bool GraceOver => ServerStateRules.MayChange(StartedAt, _time.GetUtcNow(), _options.SilenceLimit);

    /// <summary>The ids of the nodes that claim to be primary, when more than one does (empty otherwise).</summary>
    public IReadOnlyList<string> PrimaryConflict
    {
        get
        {
            lock (_gate)
            {
                return _conflict;
            }
        }
    }

    /// <summary>The primary trusted now (not silent, the highest version among claimants), whatever its load.</summary>
    public string? TrustedPrimaryId
    {
        get
        {
            lock (_gate)
            {
                return ServerStateRules.ChoosePrimary(_servers.Values.Select(s => s.Last).Where(h => !h.Seed), _time.GetUtcNow(), _options.SilenceLimit).Trusted?.Id;
            }
        }
    }

    /// <summary>The old daemon's primary trusted now (among seed heartbeats), or null.</summary>
    public Heartbeat? TrustedSeedPrimary
    {
        get
        {
            lock (_gate)
            {
                return ServerStateRules.ChoosePrimary(_servers.Values.Select(s => s.Last).Where(h => h.Seed), _time.GetUtcNow(), _options.SilenceLimit).Trusted;
            }
        }
    }

    /// <summary>The versions of the trusted primary and of the old daemon's trusted primary now (null: none), for lags.</summary>
    public (long? Nodes, long? Seed) PrimaryVersionsNow
    {
        get
        {
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                var heartbeats = _servers.Values.Select(s => s.Last).ToList();
                return (ServerStateRules.ChoosePrimary(heartbeats.Where(h => !h.Seed), now, _options.SilenceLimit).Trusted?.Version,
                    ServerStateRules.ChoosePrimary(heartbeats.Where(h => h.Seed), now, _options.SilenceLimit).Trusted?.Version);
            }
        }
    }

    /// <summary>Takes a validated heartbeat; returns true when a published state changed.</summary>
    public bool Record(Heartbeat heartbeat)
    {
        lock (_gate)
        {
            var now = heartbeat.ReceivedAt;
            var isNew = !_servers.TryGetValue(heartbeat.Id, out var server);
            if (server is null)
            {
                server = new Server(heartbeat);
                _servers.Add(heartbeat.Id, server);
            }
            else if (server.Last.Address != heartbeat.Address && _idByAddress.GetValueOrDefault(server.Last.Address) == heartbeat.Id)
            {
                _idByAddress.Remove(server.Last.Address);
            }
            server.Last = heartbeat;
            _idByAddress[heartbeat.Address] = heartbeat.Id;

            var primaryVersion = ChoosePrimary(now, heartbeat.Seed);
            // A server first heard of during the grace is taken as it reports (the coordinator itself just started);
            // after it, a newcomer starts down and earns its way up like any recovering server.
            var startDown = isNew && ServerStateRules.MayChange(StartedAt, now, _options.SilenceLimit);
            var changed = isNew;
            foreach (var thresholds in ThresholdsOf(heartbeat.Address))
            {
                var decision = ServerStateRules.Decide(heartbeat, thresholds, primaryVersion.Current, now, _options.SilenceLimit, primaryVersion.Floor);
                DampedState next;
                if (server.States.TryGetValue(thresholds, out var previous))
                {
                    next = ServerStateRules.Damp(previous.Damped, decision.State, _options.RecoverAfter);
                    changed |= next.Published != previous.Damped.Published;
                }
                else
                {
                    next = startDown
                        ? ServerStateRules.Damp(DampedState.Settled(ServerState.Down), decision.State, _options.RecoverAfter)
                        : DampedState.Settled(decision.State);
                    changed = true;
                }
                server.States[thresholds] = new Tracked(next, decision);
            }
            if (changed)
            {
                SignalLocked();
            }
            return changed;
        }
    }

    /// <summary>Applies the passing of time: servers silent for <c>DownAfter</c> go down at once. True when a state changed.</summary>
    public bool Tick()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            ChoosePrimary(now, seed: false);
            ChoosePrimary(now, seed: true);
            var changed = false;
            foreach (var server in _servers.Values)
            {
                foreach (var (thresholds, tracked) in server.States.ToList())
                {
                    // Staleness is judged when a server reports its version, never against a primary's newer version
                    // on a tick: the follower may well have caught up since its last heartbeat.
                    var decision = ServerStateRules.Decide(server.Last, thresholds, null, now, _options.SilenceLimit);
                    if (decision.State > tracked.Damped.Published)
                    {
                        server.States[thresholds] = new Tracked(DampedState.Settled(decision.State), decision);
                        changed = true;
                    }
                    else if (decision.State > tracked.Decision.State)
                    {
                        // Worse than the last heartbeat said but not than what is published (e.g. silent while recovering).
                        server.States[thresholds] = new Tracked(DampedState.Settled(tracked.Damped.Published), decision);
                    }
                }
            }
            if (changed)
            {
                SignalLocked();
            }
            return changed;
        }
    }

    /// <summary>The server lines of the nginx file, for their thresholds; servers on no line use the configured defaults.</summary>
    public void UseLines(IReadOnlyList<ServerLine> lines)
    {
        lock (_gate)
        {
            _lineThresholds = lines.ToLookup(l => l.Address, l => l.Thresholds, StringComparer.Ordinal);
            _hostThresholds = lines.ToLookup(l => HostOf(l.Address), l => l.Thresholds, StringComparer.Ordinal);
        }
    }

    /// <summary>The published state for one nginx line: down when no node reports its address.</summary>
    public ServerState StateOf(ServerLine line)
    {
        lock (_gate)
        {
            // A line names HOST:PORT; a seed server is known by its IP alone.
            if (!_idByAddress.TryGetValue(line.Address, out var id)
                && !(_idByAddress.TryGetValue(HostOf(line.Address), out id) && _servers[id].Last.Seed))
            {
                return ServerState.Down;
            }
            var server = _servers[id];
            if (ServerStateRules.IsSilent(server.Last, _time.GetUtcNow(), _options.SilenceLimit))
            {
                return ServerState.Down;
            }
            return TrackedFor(server, line.Thresholds).Damped.Published;
        }
    }

    /// <summary>Every server with its published state and why, ordered by id (for <c>/v1/nodes</c>).</summary>
    public IReadOnlyList<ServerView> Snapshot()
    {
        Tick();
        lock (_gate)
        {
            return _servers.Values
                .OrderBy(s => s.Last.Id, StringComparer.Ordinal)
                .Select(s =>
                {
                    var tracked = Lead(s);
                    return new ServerView(s.Last, tracked.Damped.Published, Explain(tracked));
                })
                .ToList();
        }
    }

    /// <summary>
    /// Where the built-in balancer may send a request: the up servers, else the backup ones, else none.
    /// </summary>
    public IReadOnlyList<Heartbeat> Targets()
    {
        Tick();
        lock (_gate)
        {
            var byState = _servers.Values
                .Where(s => !s.Last.Seed)
                .Select(s => (s.Last, State: Lead(s).Damped.Published))
                .Where(s => s.State != ServerState.Down)
                .OrderBy(s => s.Last.Id, StringComparer.Ordinal)
                .ToLookup(s => s.State, s => s.Last);
            return byState[ServerState.Up].Any() ? byState[ServerState.Up].ToList() : byState[ServerState.Backup].ToList();
        }
    }

    /// <summary>Completes at the first published change after <paramref name="seen"/> changes.</summary>
    public Task WaitForChangeAsync(long seen, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ChangeCount != seen ? Task.CompletedTask : _changed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The trusted primary's version now, and the floor below which a follower is stale: the version the primary
    /// reported <c>DownAfter</c> ago (the first it reported, when it was heard of more recently), so that a follower
    /// is not marked stale (and nginx reloaded twice) for a change it applies within a few heartbeats. Records a
    /// conflict of two claimants.
    /// </summary>
    private PrimaryVersion ChoosePrimary(DateTimeOffset now, bool seed)
    {
        var choice = ServerStateRules.ChoosePrimary(_servers.Values.Select(s => s.Last).Where(h => h.Seed == seed), now, _options.SilenceLimit);
        if (!seed)
        {
            _conflict = choice.ConflictIds;
        }
        return choice.Trusted is { } primary ? (seed ? _seedPrimary : _primary).Track(primary, now, _options.SilenceLimit) : default;
    }

    private readonly record struct PrimaryVersion(long? Current, long? Floor);

    /// <summary>A trusted primary's versions as it reported them, oldest first: the last one reported DownAfter ago or more (the floor), then every later one.</summary>
    private sealed class PrimaryVersions
    {
        private readonly List<(DateTimeOffset At, long Version)> _versions = [];
        private string? _id;

        public PrimaryVersion Track(Heartbeat primary, DateTimeOffset now, TimeSpan downAfter)
        {
            if (primary.Id != _id)
            {
                _id = primary.Id;
                _versions.Clear();
            }
            if (_versions.Count == 0 || _versions[^1].Version != primary.Version)
            {
                _versions.Add((primary.ReceivedAt, primary.Version));
            }
            var floorAt = now - downAfter;
            while (_versions.Count > 1 && _versions[1].At <= floorAt)
            {
                _versions.RemoveAt(0);
            }
            return new PrimaryVersion(primary.Version, _versions[0].Version);
        }
    }

    /// <summary>
    /// The thresholds that apply to an address: those of its lines, the first one leading (for a seed server's bare IP,
    /// those of the lines on that IP); else the defaults.
    /// </summary>
    private List<Thresholds> ThresholdsOf(string address)
    {
        var fromLines = _lineThresholds[address].Distinct().ToList();
        if (fromLines.Count == 0 && HostOf(address) == address)
        {
            fromLines = _hostThresholds[address].Distinct().ToList();
        }
        return fromLines.Count > 0 ? fromLines : [_options.DefaultThresholds];
    }

    /// <summary>The host of <c>HOST:PORT</c> or <c>[V6]:PORT</c>, without brackets; a bare IPv4 or IPv6 address as it is.</summary>
    internal static string HostOf(string address)
    {
        if (address.StartsWith('[') && address.IndexOf(']', StringComparison.Ordinal) is var end and > 0)
        {
            return address[1..end];
        }
        var colon = address.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && colon == address.LastIndexOf(':') ? address[..colon] : address;
    }

    /// <summary>
    /// The state under the server's leading thresholds; when the nginx file changed them since its last heartbeat,
    /// they are judged from that heartbeat at once.
    /// </summary>
    private Tracked Lead(Server server) => TrackedFor(server, ThresholdsOf(server.Last.Address)[0]);

    private Tracked TrackedFor(Server server, Thresholds thresholds)
    {
        if (!server.States.TryGetValue(thresholds, out var tracked))
        {
            var now = _time.GetUtcNow();
            var primary = ChoosePrimary(now, server.Last.Seed);
            var decision = ServerStateRules.Decide(server.Last, thresholds, primary.Current, now, _options.SilenceLimit, primary.Floor);
            tracked = new Tracked(DampedState.Settled(decision.State), decision);
            server.States[thresholds] = tracked;
        }
        return tracked;
    }

    private string Explain(Tracked tracked)
    {
        var (damped, decision) = tracked;
        return damped.Published == decision.State || damped.BetterCount == 0
            ? decision.Reason
            : $"{decision.Reason}; {Name(damped.Published)} until {_options.RecoverAfter} good heartbeats in a row ({damped.BetterCount} so far)";
    }

    public static string Name(ServerState state) => state switch
    {
        ServerState.Up => "up",
        ServerState.Backup => "backup",
        _ => "down",
    };

    private void SignalLocked()
    {
        ChangeCount++;
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private sealed class Server(Heartbeat last)
    {
        public Heartbeat Last { get; set; } = last;

        public Dictionary<Thresholds, Tracked> States { get; } = [];
    }

    private readonly record struct Tracked(DampedState Damped, StateDecision Decision);
}

/// <summary>A server as <c>/v1/nodes</c> shows it.</summary>
internal sealed record ServerView(Heartbeat Last, ServerState State, string Reason);
