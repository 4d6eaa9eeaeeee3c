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
}
