namespace MediaFleet.Library.Catalog;

/// <summary>Wakes the long-polls of <c>GET /v1/changes?wait=S</c> when the data version moves.</summary>
internal sealed class ChangeSignal(TimeProvider time)
{
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Wakes everyone waiting now; later waiters wait for the next change.</summary>
    public void Raise() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    /// <summary>Completes when <paramref name="moved"/> answers true after a raise, or after <paramref name="wait"/>.</summary>
    public async Task WaitAsync(Func<bool> moved, TimeSpan wait, CancellationToken cancellationToken)
    {
        var signal = Volatile.Read(ref _changed).Task;
        if (moved() || wait <= TimeSpan.Zero)
        {
            return;
        }
        try
        {
            await signal.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Nothing new within the wait: the caller answers with what it has.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
