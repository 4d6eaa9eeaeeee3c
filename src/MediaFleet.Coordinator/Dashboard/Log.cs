namespace MediaFleet.Coordinator.Dashboard;

/// <summary>Log messages of the dashboard; event ids 3050–3059 of the coordinator's block.</summary>
internal static partial class Log
{
    [LoggerMessage(3050, LogLevel.Warning, "dashboard: the broker's queue at {Url} cannot be fetched: {Reason} (logged once until it changes)")]
    public static partial void BrokerUnreachable(ILogger logger, string url, string reason);

    [LoggerMessage(3051, LogLevel.Information, "dashboard: the broker's queue at {Url} is fetched again")]
    public static partial void BrokerReachedAgain(ILogger logger, string url);
}
