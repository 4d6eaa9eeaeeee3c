namespace MediaFleet.Node.Background;

/// <summary>
/// How a background loop of the node (scrub, heal, heartbeats, repair list, start-up scan) lives with failure: it
/// never dies of one. Each failure is logged once per kind (the same failure again, tick after tick, is not), the
/// recovery once, and the loop waits a doubling back-off before it tries again.
/// </summary>
internal sealed class LoopHealth(string loop, ILogger logger, TimeSpan firstWait, TimeSpan longestWait)
{
    private readonly TimeSpan _firstWait = firstWait;
    private string? _failing;
    private TimeSpan _wait = firstWait;

    public LoopHealth(string loop, ILogger logger)
        : this(loop, logger, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1))
    {
    }

    /// <summary>Records a failure and returns how long to wait before the next try.</summary>
    public TimeSpan Failed(Exception exception)
    {
        var kind = exception.GetType().Name + ": " + exception.Message;
        var wait = _wait;
        if (kind != _failing)
        {
            Log.LoopFailed(logger, loop, kind, wait.TotalSeconds, exception);
            _failing = kind;
        }
        _wait = TimeSpan.FromTicks(Math.Min(_wait.Ticks * 2, longestWait.Ticks));
        return wait;
    }

    /// <summary>Records a pass that went through: says so once after failures, and resets the back-off.</summary>
    public void Succeeded()
    {
        if (_failing is not null)
        {
            Log.LoopRecovered(logger, loop);
            _failing = null;
        }
        _wait = _firstWait;
    }

    /// <summary>Records a failure and waits its back-off (cut short by <paramref name="stoppingToken"/>).</summary>
    public Task BackOffAsync(Exception exception, TimeProvider time, CancellationToken stoppingToken) =>
        Task.Delay(Failed(exception), time, stoppingToken);
}
