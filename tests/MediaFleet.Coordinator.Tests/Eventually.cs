namespace MediaFleet.Coordinator.Tests;

/// <summary>Waits for a condition by polling; the deadline only guards against a hang, it is not part of the test.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public static Task TrueAsync(Func<bool> condition, string what) =>
        TrueAsync(() => Task.FromResult(condition()), what);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(Deadline.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!await condition())
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"gave up after {Deadline.TotalSeconds} s waiting for {what}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Reads until what is read meets <paramref name="condition"/>, and returns that.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what)
    {
        var value = default(T)!;
        try
        {
            await TrueAsync(async () => condition(value = await read()), what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last read: {System.Text.Json.JsonSerializer.Serialize(value)}", e);
        }
        return value;
    }
}
