using MediaFleet.Hosting;
namespace MediaFleet.Coordinator.States;

/// <summary>
/// Lets time act on the states: a few times per heartbeat interval, servers silent for <c>DownAfter</c> go down,
/// and every published change (from heartbeats or silence) is logged once.
/// </summary>
internal sealed class SilenceWatch(ServerRegistry registry, Configuration.CoordinatorOptions options, TimeProvider time, ILogger<SilenceWatch> logger) : BackgroundService
{
    private readonly Dictionary<string, (ServerState State, string Address)> _logged = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _conflict = [];

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
            if (!_logged.TryGetValue(id, out var before) || before.State != view.State)
            {
                _logged[id] = (view.State, view.Last.Address);
                Log.StateChanged(logger, id, view.Last.Address, ServerRegistry.Name(view.State), view.Reason);
            }
        }
        var conflict = registry.PrimaryConflict;
        if (conflict.Count > 1 && !conflict.SequenceEqual(_conflict))
        {
            Log.TwoPrimaries(logger, string.Join(", ", conflict));
        }
        _conflict = conflict;
    }
}
