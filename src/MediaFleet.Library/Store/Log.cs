using Microsoft.Extensions.Logging;

namespace MediaFleet.Library.Store;

/// <summary>Log messages of the library store; event ids 1000–1099.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Stored {Path} ({Size} bytes) as version {Version}")]
    public static partial void Stored(ILogger logger, string path, long size, long version);

    [LoggerMessage(1001, LogLevel.Information, "Deleted {Path} as version {Version}")]
    public static partial void Deleted(ILogger logger, string path, long version);

    [LoggerMessage(1002, LogLevel.Information, "Moved {From} to {To} as version {Version}")]
    public static partial void Moved(ILogger logger, string from, string to, long version);

    [LoggerMessage(1003, LogLevel.Warning, "Could not delete temp file {File}: {Reason}")]
    public static partial void TempNotDeleted(ILogger logger, string file, string reason);

    [LoggerMessage(1010, LogLevel.Information, "Start-up: removed {Count} partial writes from .mfleet/tmp")]
    public static partial void TempCleared(ILogger logger, int count);

    [LoggerMessage(1011, LogLevel.Warning, "Start-up: finished an interrupted {Op} of {Path} (version {Version})")]
    public static partial void IntentCompleted(ILogger logger, string op, string path, long version);

    [LoggerMessage(1012, LogLevel.Warning, "Start-up: dropped an interrupted {Op} of {Path}; the folder was not changed by it")]
    public static partial void IntentDropped(ILogger logger, string op, string path);

    [LoggerMessage(1013, LogLevel.Warning, "The library folder holds {Count} files the catalog does not know (left in place; `mfleet adopt` takes them in), e.g. {Example}")]
    public static partial void UnknownFiles(ILogger logger, int count, string example);

    [LoggerMessage(1014, LogLevel.Warning, "The catalog lists {Count} files that are not in the folder, e.g. {Example}")]
    public static partial void VanishedFiles(ILogger logger, int count, string example);

    [LoggerMessage(1020, LogLevel.Error, "{Path} is corrupt ({Finding}): quarantined, {Kept}; it is served no more until healed")]
    public static partial void Quarantined(ILogger logger, string path, string finding, string kept);

    [LoggerMessage(1021, LogLevel.Information, "{Path} healed: good bytes installed over the quarantined copy")]
    public static partial void Healed(ILogger logger, string path);

    [LoggerMessage(1030, LogLevel.Information, "Bulk load of {Files} files: the digest index is dropped until it ends")]
    public static partial void BulkLoadStarted(ILogger logger, long files);

    [LoggerMessage(1031, LogLevel.Information, "Bulk load ended: digest index of {Files} files built in {Seconds:0.00} s")]
    public static partial void BulkLoadEnded(ILogger logger, int files, double seconds);

    [LoggerMessage(1032, LogLevel.Warning, "The digest index could not be built after a bulk load ({Reason}); the next start builds it, lookups by digest scan the table until then")]
    public static partial void DigestIndexNotBuilt(ILogger logger, string reason);

    [LoggerMessage(1033, LogLevel.Warning, "Start-up: built the digest index an interrupted bulk load had dropped")]
    public static partial void DigestIndexRestored(ILogger logger);
}
