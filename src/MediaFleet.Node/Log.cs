using Microsoft.Extensions.Logging;

namespace MediaFleet.Node;

/// <summary>Log messages of the node host and file API; event ids 2000–2099.</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "mfleet node {Id} ({Role}) serving {Folder} on {Urls}")]
    public static partial void Started(ILogger logger, string id, string role, string folder, string urls);

    [LoggerMessage(2001, LogLevel.Warning, "AUTH IS OFF (--insecure-no-auth): anyone who reaches this port may write and delete files")]
    public static partial void InsecureNoAuth(ILogger logger);

    [LoggerMessage(2010, LogLevel.Warning, "Upload of {Path} broken off: {Reason}; nothing was installed")]
    public static partial void UploadBroken(ILogger logger, string path, string reason);

    [LoggerMessage(2011, LogLevel.Error, "{Path} is in the catalog but not on disk")]
    public static partial void CatalogedFileAbsent(ILogger logger, string path);

    [LoggerMessage(2020, LogLevel.Warning, "Heartbeats to {Coordinator} fail: {Reason}; the node keeps serving and keeps trying")]
    public static partial void CoordinatorUnreachable(ILogger logger, string coordinator, string reason);

    [LoggerMessage(2021, LogLevel.Information, "Heartbeats to {Coordinator} get through again")]
    public static partial void CoordinatorBack(ILogger logger, string coordinator);

    [LoggerMessage(2022, LogLevel.Information, "Told {Coordinator} this node is leaving (force_down)")]
    public static partial void LeftBalancer(ILogger logger, string coordinator);

    [LoggerMessage(2023, LogLevel.Warning, "Listening on every address as {Address}: set --advertise HOST:PORT so nginx and other nodes can reach this node")]
    public static partial void NoAdvertise(ILogger logger, string address);

    [LoggerMessage(2030, LogLevel.Information, "Scrub round: {Checked} copies re-hashed, {Bad} bad")]
    public static partial void ScrubRound(ILogger logger, int @checked, int bad);

    [LoggerMessage(2031, LogLevel.Warning, "{Path} is not healed yet: {Reason}; next try in {Seconds} s")]
    public static partial void HealFailed(ILogger logger, string path, string reason, double seconds);

}
