using MediaFleet.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Contracts.Tests;

/// <summary>A background loop's failures: logged once per kind, recovery logged once, waits doubling to a cap.</summary>
public sealed class LoopGuardTests
{
    private sealed class Lines : ILogger
    {
        public List<(LogLevel Level, string Text)> Written { get; } = [];

        public List<Exception?> Exceptions { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Written.Add((logLevel, formatter(state, exception)));
            Exceptions.Add(exception);
        }
    }

    [Fact]
    public void RepeatedFailureOfOneKind_IsLoggedOnceAndItsRecoveryOnce()
    {
        var log = new Lines();
        var guard = new LoopGuard(log, "Scrub", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        for (var i = 0; i < 5; i++)
        {
            guard.Failed(new IOException($"read failed after {i * 4096} bytes"));
        }
        guard.Succeeded();
        guard.Succeeded();

        Assert.Equal(2, log.Written.Count);
        Assert.Equal(LogLevel.Error, log.Written[0].Level);
        Assert.Contains("Scrub failed (IOException: read failed after 0 bytes)", log.Written[0].Text);
        Assert.Equal("Scrub works again after 5 failed passes", log.Written[1].Text);
        Assert.False(guard.Failing);
    }

    [Fact]
    public void FailureOfTheWorldOutside_IsAWarningWithoutStack_AndABugAnErrorWithIt()
    {
        var log = new Lines();
        var guard = new LoopGuard(log, "Heartbeats", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        guard.Failed(new HttpRequestException("Connection refused (127.0.0.1:8460)"));
        guard.Failed(new InvalidOperationException("Sequence contains no elements"));

        Assert.Equal([LogLevel.Warning, LogLevel.Error], log.Written.Select(w => w.Level));
        Assert.Equal([false, true], log.Exceptions.Select(e => e is not null));
    }

    [Fact]
    public void FailureOfAnotherKind_IsLoggedAgain()
    {
        var log = new Lines();
        var guard = new LoopGuard(log, "Heal", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        guard.Failed(new IOException("disk"));
        guard.Failed(new UnauthorizedAccessException("denied"));
        guard.Failed(new IOException("disk"));

        Assert.Equal(3, log.Written.Count);
        Assert.True(guard.Failing);
    }

    [Fact]
    public void Waits_DoubleUpToTheCapAndStartOverAfterASuccess()
    {
        var guard = new LoopGuard(new Lines(), "Gather", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

        var waits = Enumerable.Range(0, 5).Select(_ => guard.Failed(new InvalidOperationException("x")).TotalSeconds).ToList();
        guard.Succeeded();

        Assert.Equal([1, 2, 4, 5, 5], waits);
        Assert.Equal(1, guard.Failed(new InvalidOperationException("x")).TotalSeconds);
    }
}
