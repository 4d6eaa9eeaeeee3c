using MediaFleet.Coordinator.Events;
using MediaFleet.Hosting;
namespace MediaFleet.Coordinator.States;

/// <summary>
/// Lets time act on the states: a few times per heartbeat interval, servers silent for <c>DownAfter</c> go down,
/// and every published change (from heartbeats or silence) is logged once and kept among the recent events, as is
/// a change of the trusted primary.
/// </summary>
internal sealed class SilenceWatch(
    ServerRegistry registry, Configuration.CoordinatorOptions options, RecentEvents events, TimeProvider time, ILogger<SilenceWatch> logger) : BackgroundService
{
    private readonly Dictionary<string, (ServerState State, string Address)> _logged = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _conflict = [];
    private string? _primary;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(options.Interval.Ticks / 4, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(period, time);
        var guard = new LoopGuard(logger, "server state ticking");
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            // Its snapshot ticks the registry first: silence is applied there.
            await guard.RunAsync(_ =>
            {
                LogChanges();
                return Task.CompletedTask;
            }, time, stoppingToken).ConfigureAwait(false);
        }
    }

    private void LogChanges()
    {
        foreach (var view in registry.Snapshot())
        {
            var id = view.Last.Id;
            var known = _logged.TryGetValue(id, out var before);
            if (!known || before.State != view.State)
            {
                _logged[id] = (view.State, view.Last.Address);
                Log.StateChanged(logger, id, view.Last.Address, ServerRegistry.Name(view.State), view.Reason);
                events.Add(EventKind.State, id, known
                    ? $"{ServerRegistry.Name(before.State)} → {ServerRegistry.Name(view.State)}: {view.Reason}"
                    : $"first heard at {view.Last.Address}: {ServerRegistry.Name(view.State)} ({view.Reason})");
            }
        }
        var conflict = registry.PrimaryConflict;
        if (conflict.Count > 1 && !conflict.SequenceEqual(_conflict))
        {
            Log.TwoPrimaries(logger, string.Join(", ", conflict));
            events.Add(EventKind.Primary, null, $"two primaries: {string.Join(", ", conflict)}; the one with the higher version is trusted");
        }
        _conflict = conflict;
        var primary = registry.TrustedPrimaryId;
        if (primary != _primary)
        {
            events.Add(EventKind.Primary, primary, primary is null
                ? $"no primary is heard any more (was {_primary})"
                : _primary is null ? $"{primary} is the primary" : $"{primary} is the primary (was {_primary})");
            _primary = primary;
        }
    }
}
