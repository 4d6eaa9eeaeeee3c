namespace MediaFleet.Library.Scrub;

/// <summary>
/// An I/O budget in bytes per second (DESIGN.md section 7, <c>Scrub:BudgetMBps</c>): a read takes tokens, and waits on
/// the injected clock when the bucket is empty. The bucket holds one second's worth, so a long pause buys no burst.
/// </summary>
public sealed class TokenBucket
{
    private readonly double _bytesPerSecond;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _lastTimestamp;

    public TokenBucket(double bytesPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        _bytesPerSecond = bytesPerSecond;
        _time = time;
        _tokens = bytesPerSecond;
        _lastTimestamp = time.GetTimestamp();
    }

    /// <summary>Takes <paramref name="bytes"/> tokens, waiting until the budget allows them (a debt is paid by waiting).</summary>
    public async Task TakeAsync(long bytes, CancellationToken cancellationToken)
    {
        Refill();
        _tokens -= bytes;
        if (_tokens < 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(-_tokens / _bytesPerSecond), _time, cancellationToken).ConfigureAwait(false);
            Refill();
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_bytesPerSecond, _tokens + _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds * _bytesPerSecond);
        _lastTimestamp = now;
    }
}
