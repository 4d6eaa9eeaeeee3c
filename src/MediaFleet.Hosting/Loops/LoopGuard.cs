using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Hosting;

/// <summary>
/// How a background loop survives what it did not expect: the loop catches, asks here how long to wait, and goes on.
/// A failure is logged the first time its kind appears (the same exception type and message, numbers aside, is only
/// counted after that), recovery is logged once, and the wait doubles from <c>first</c> up to <c>max</c>. One guard
/// serves every role's loops: the node's scrub, heal, replication and heartbeats, the coordinator's gathering, scoring,
/// state ticking and nginx file. <c>onFailure</c> hears of every failure (to show it in a status route).
/// </summary>
public sealed partial class LoopGuard(ILogger logger, string loop, TimeSpan first, TimeSpan max, Action<string>? onFailure = null)
{
    /// <summary>The usual waits: 1 s after a first failure, doubling up to 30 s.</summary>
    public LoopGuard(ILogger logger, string loop, Action<string>? onFailure = null)
        : this(logger, loop, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), onFailure)
    {
    }

    private readonly TimeSpan _first = first;
    private string? _failing;
    private int _repeats;
    private TimeSpan _next = first;

    /// <summary>True while the last pass failed.</summary>
    public bool Failing => _failing is not null;

    /// <summary>Records a failed pass; returns how long to wait before the next.</summary>
    public TimeSpan Failed(Exception exception)
    {
        onFailure?.Invoke($"{exception.GetType().Name}: {exception.Message}");
        var kind = Kind(exception);
        if (kind == _failing)
        {
            _repeats++;
        }
        else
        {
            _failing = kind;
            _repeats = 0;
            if (IsWeather(exception))
            {
                Log.LoopInterrupted(logger, loop, exception.GetType().Name, exception.Message);
            }
            else
            {
                Log.LoopFailed(logger, loop, exception.GetType().Name, exception.Message, exception);
            }
        }
        var wait = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, max.Ticks));
        return wait;
    }

    /// <summary>Records a pass that worked: the back-off starts over and a recovery is logged once.</summary>
    public void Succeeded()
    {
        _next = _first;
        if (_failing is not null)
        {
            Log.LoopRecovered(logger, loop, _repeats + 1);
            _failing = null;
            _repeats = 0;
        }
    }

    /// <summary>Records a failure and waits its back-off (cut short by <paramref name="stoppingToken"/>).</summary>
    public Task BackOffAsync(Exception exception, TimeProvider time, CancellationToken stoppingToken) =>
        Task.Delay(Failed(exception), time, stoppingToken);

    /// <summary>
    /// Runs one pass of a loop: a pass that throws (anything but the loop's own stopping) is recorded and its back-off
    /// waited. Returns whether the pass worked.
    /// </summary>
    public async Task<bool> RunAsync(Func<CancellationToken, Task> pass, TimeProvider time, CancellationToken stoppingToken)
    {
        try
        {
            await pass(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(Failed(e), time, stoppingToken).ConfigureAwait(false);
            return false;
        }
        Succeeded();
        return true;
    }

    /// <summary>
    /// Failures of the world outside (a peer down or answering a problem, a link cut, a timeout): a warning without a stack trace, since the
    /// stack says nothing an operator can use. Everything else is an error with its stack.
    /// </summary>
    internal static bool IsWeather(Exception exception) =>
        exception is HttpRequestException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException
            or MediaFleet.Contracts.Client.MediaFleetException;

    /// <summary>What makes two failures the same kind: type and message with every number blanked.</summary>
    public static string Kind(Exception exception) => exception.GetType().FullName + ": " + Digits().Replace(exception.Message, "#");

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    private static partial class Log
    {
        [LoggerMessage(5000, LogLevel.Error, "{Loop} failed ({Type}: {Reason}); it goes on and backs off, and says so once when it recovers")]
        public static partial void LoopFailed(ILogger logger, string loop, string type, string reason, Exception exception);

        [LoggerMessage(5002, LogLevel.Warning, "{Loop} failed ({Type}: {Reason}); it goes on and backs off, and says so once when it recovers")]
        public static partial void LoopInterrupted(ILogger logger, string loop, string type, string reason);

        [LoggerMessage(5001, LogLevel.Information, "{Loop} works again after {Failures} failed passes")]
        public static partial void LoopRecovered(ILogger logger, string loop, int failures);
    }
}
