using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Testing;

/// <summary>A log provider that keeps every entry of a host, so a test can count what was logged and how often.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>The entries with event id <paramref name="eventId"/>.</summary>
    public IReadOnlyList<LogEntry> WithId(int eventId) => [.. _entries.Where(e => e.EventId == eventId)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Adds these logs to a host's logging, at information level whatever the host's minimum.</summary>
    public void AttachTo(ILoggingBuilder logging)
    {
        logging.AddProvider(this);
        logging.AddFilter<CapturedLogs>(null, LogLevel.Information);
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs._entries.Enqueue(new LogEntry(category, eventId.Id, logLevel, formatter(state, exception)));
    }
}

/// <summary>One captured log entry.</summary>
public sealed record LogEntry(string Category, int EventId, LogLevel Level, string Message);
