namespace MediaFleet.Coordinator.Background;

/// <summary>
/// Keeps one background loop of the coordinator alive: a pass that throws is logged once per kind of failure (not
/// once per pass: the loops run every few seconds for months), followed by a back-off, and the loop goes on; the
/// first pass that succeeds again logs the recovery. Stopping (cancellation of the stopping token) still ends the loop.
/// </summary>
internal sealed class LoopGuard(string loop, ILogger logger, TimeProvider time, Action<string>? onFailure = null)
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private string? _failing;
    private TimeSpan _backoff;

    /// <summary>Runs one pass; false when it failed (after the back-off has been waited).</summary>
    public async Task<bool> RunAsync(Func<CancellationToken, Task> pass, CancellationToken stoppingToken)
    {
        try
        {
            await pass(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            var kind = $"{e.GetType().Name}: {e.Message}";
            onFailure?.Invoke(kind);
            if (kind != _failing)
            {
                Log.LoopFailed(logger, loop, kind, e);
                _failing = kind;
            }
            _backoff = NextBackoff(_backoff);
            await Task.Delay(_backoff, time, stoppingToken).ConfigureAwait(false);
            return false;
        }
        if (_failing is not null)
        {
            Log.LoopRecovered(logger, loop);
            _failing = null;
        }
        _backoff = TimeSpan.Zero;
        return true;
    }

    /// <summary>1 s after a first failure, doubling after each further one, at most 30 s.</summary>
    public static TimeSpan NextBackoff(TimeSpan previous) =>
        previous <= TimeSpan.Zero ? FirstBackoff : TimeSpan.FromTicks(Math.Min(previous.Ticks * 2, MaxBackoff.Ticks));
}
