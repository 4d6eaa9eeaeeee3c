using Microsoft.Extensions.Logging;

namespace MediaFleet.Coordinator;

/// <summary>Log messages of the coordinator; event ids 3000–3099.</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Information, "mfleet coordinator serving on {Urls}")]
    public static partial void Started(ILogger logger, string urls);

    [LoggerMessage(3001, LogLevel.Information, "built-in balancer on {Url}")]
    public static partial void ProxyStarted(ILogger logger, string url);

    [LoggerMessage(3002, LogLevel.Warning, "AUTH IS OFF (--insecure-no-auth): anyone who reaches this port may send heartbeats")]
    public static partial void InsecureNoAuth(ILogger logger);

    [LoggerMessage(3010, LogLevel.Warning, "Heartbeat refused: {Reason}")]
    public static partial void HeartbeatRefused(ILogger logger, string reason);

    [LoggerMessage(3011, LogLevel.Information, "{Id} ({Address}) is now {State}: {Reason}")]
    public static partial void StateChanged(ILogger logger, string id, string address, string state, string reason);

    [LoggerMessage(3012, LogLevel.Warning, "Two primaries: {Ids}; trusting the one with the higher version")]
    public static partial void TwoPrimaries(ILogger logger, string ids);

    [LoggerMessage(3020, LogLevel.Information, "nginx file {File}: grace of {Seconds} s after start-up, nothing is changed before it ends")]
    public static partial void Grace(ILogger logger, string file, double seconds);

    [LoggerMessage(3021, LogLevel.Information, "nginx file {File} rewritten ({Lines}) and nginx reloaded")]
    public static partial void Rewritten(ILogger logger, string file, string lines);

    [LoggerMessage(3022, LogLevel.Error, "nginx file {File} NOT installed, the previous one stays: {Error}")]
    public static partial void TestFailed(ILogger logger, string file, string error);

    [LoggerMessage(3023, LogLevel.Error, "nginx reload failed; will retry: {Error}")]
    public static partial void ReloadFailed(ILogger logger, string error);

    [LoggerMessage(3024, LogLevel.Warning, "nginx file {File}: an earlier test was cut off; the file from before it is put back")]
    public static partial void RestoredInterrupted(ILogger logger, string file);

    [LoggerMessage(3025, LogLevel.Error, "nginx file {File} cannot be read: {Error}")]
    public static partial void Unreadable(ILogger logger, string file, string error);

    [LoggerMessage(3026, LogLevel.Information, "nginx test passes again for {File}")]
    public static partial void TestPassesAgain(ILogger logger, string file);

    [LoggerMessage(3030, LogLevel.Warning, "balancer: no server is up or backup; answering 503")]
    public static partial void NoServer(ILogger logger);

    [LoggerMessage(3040, LogLevel.Warning, "catalog of {Id} not fetched: {Reason}; its last one is used (logged once until it changes or recovers)")]
    public static partial void CatalogFetchFailed(ILogger logger, string id, string reason);

    [LoggerMessage(3041, LogLevel.Information, "preservation score: {Files} files, collection {Collection}")]
    public static partial void Scored(ILogger logger, int files, double collection);

    [LoggerMessage(3042, LogLevel.Information, "catalog of {Id} fetched again")]
    public static partial void CatalogFetchRecovered(ILogger logger, string id);

}
