namespace MediaFleet.Node.Replication;

/// <summary>
/// A restarted follower's first catch-up: work that would compete with it for a small machine's cores (loading the
/// file index of a large library, then the jobs that wait for it) starts once the follower has applied what its
/// upstream had, or after <see cref="MaxWait"/> when catching up takes long. A primary has nothing to catch up.
/// </summary>
public sealed class FirstCatchUp(bool follower)
{
    /// <summary>The longest the background loads wait for the first catch-up.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource _done = CreateDone(follower);

    /// <summary>Completes when the follower first reached its upstream's version (at once on a primary).</summary>
    public Task Done => _done.Task;

    internal void Reached() => _done.TrySetResult();

    /// <summary>Waits for the first catch-up, at most <see cref="MaxWait"/>; true when it happened.</summary>
    public async Task<bool> WaitAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await Done.WaitAsync(MaxWait, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static TaskCompletionSource CreateDone(bool follower)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!follower)
        {
            done.SetResult();
        }
        return done;
    }
}
