using System.Net;
using MediaFleet.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MediaFleet.Contracts.Tests;

/// <summary>Wrong tokens are logged with the client's address, at most once a minute per address, with a count.</summary>
public sealed class WrongTokenReportsTests
{
    [Fact]
    public void RepeatedWrongTokens_LogOneLinePerAddressPerMinute_WithTheCount()
    {
        var time = new FakeTimeProvider();
        var logger = new ListLogger();
        var reports = new WrongTokenReports(time, logger);
        var guesser = IPAddress.Parse("198.51.100.7");
        var other = IPAddress.Parse("10.0.0.9");

        reports.Add(guesser); // the first is reported at once
        for (var i = 0; i < 50; i++)
        {
            reports.Add(guesser);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        reports.Add(other);
        time.Advance(TimeSpan.FromSeconds(10));
        reports.Add(guesser); // a minute on: one line with the count since the last one

        Assert.Equal(
        [
            "Wrong cluster token from 198.51.100.7: 1 time(s) since the last report",
            "Wrong cluster token from 10.0.0.9: 1 time(s) since the last report",
            "Wrong cluster token from 198.51.100.7: 51 time(s) since the last report",
        ], logger.Lines);
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
