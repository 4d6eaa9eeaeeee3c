namespace MediaFleet.Cluster.Tests;

/// <summary>Waits for a condition with a generous deadline, polling; the deadline only guards against hangs.</summary>
internal static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? deadline = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, deadline);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"gave up waiting for {what}");
            }
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
