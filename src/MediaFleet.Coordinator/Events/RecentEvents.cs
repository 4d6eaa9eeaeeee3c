namespace MediaFleet.Coordinator.Events;

/// <summary>What happened, as the dashboard groups events.</summary>
internal enum EventKind
{
    /// <summary>A server's published state changed (or it was first heard of).</summary>
    State,

    /// <summary>The trusted primary changed, or two nodes claim to be primary.</summary>
    Primary,

    /// <summary>The nginx file was written and nginx reloaded, or a test, reload or read failed.</summary>
    Nginx,

    /// <summary>A node's copy turned corrupt between two catalog gatherings (the node moved it to quarantine).</summary>
    Quarantine,

    /// <summary>A copy that was corrupt is good again (the node healed it).</summary>
    Heal,
}

/// <summary>One event: when, what kind, which server (if one), and a line for a person.</summary>
internal readonly record struct ClusterEvent(DateTimeOffset At, EventKind Kind, string? Server, string Text);

/// <summary>
/// The coordinator's recent events, for the dashboard: a fixed ring of the last <see cref="Capacity"/>, each text cut
/// to <see cref="MaxText"/> characters, so a flood of events (a failing disk, a flapping link) costs constant memory
/// and pushes out only older events. Thread-safe.
/// </summary>
internal sealed class RecentEvents(TimeProvider time)
{
    public const int Capacity = 200;

    /// <summary>Long enough for an nginx error line; a whole stderr is for the log.</summary>
    public const int MaxText = 400;

    private readonly ClusterEvent[] _ring = new ClusterEvent[Capacity];
    private readonly Lock _gate = new();
    private long _added;

    /// <summary>Every event recorded since start-up, including those the ring no longer holds.</summary>
    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _added;
            }
        }
    }

    public void Add(EventKind kind, string? server, string text)
    {
        var line = text.Length <= MaxText ? text : string.Concat(text.AsSpan(0, MaxText - 1), "…");
        var entry = new ClusterEvent(time.GetUtcNow(), kind, server, line);
        lock (_gate)
        {
            _ring[_added % Capacity] = entry;
            _added++;
        }
    }

    /// <summary>The newest events first, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<ClusterEvent> Newest(int max = Capacity)
    {
        lock (_gate)
        {
            var count = (int)Math.Min(Math.Min(_added, Capacity), Math.Max(max, 0));
            var newest = new ClusterEvent[count];
            for (var i = 0; i < count; i++)
            {
                newest[i] = _ring[(_added - 1 - i) % Capacity];
            }
            return newest;
        }
    }

    /// <summary>The word the JSON uses for a kind.</summary>
    public static string Name(EventKind kind) => kind switch
    {
        EventKind.State => "state",
        EventKind.Primary => "primary",
        EventKind.Nginx => "nginx",
        EventKind.Quarantine => "quarantine",
        EventKind.Heal => "heal",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
