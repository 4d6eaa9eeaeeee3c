using Microsoft.Extensions.Logging;

namespace MediaFleet.Conversion.Broker;

/// <summary>The broker's log messages; event ids 6000–6099.</summary>
internal static partial class Log
{
    [LoggerMessage(6000, LogLevel.Information, "Broker {Data} serving on {Urls}")]
    public static partial void Started(ILogger logger, string data, string urls);

    [LoggerMessage(6002, LogLevel.Warning, "AUTH IS OFF (--insecure-no-auth): anyone who reaches this port may submit, cancel and lease jobs")]
    public static partial void InsecureNoAuth(ILogger logger);

    [LoggerMessage(6001, LogLevel.Information, "Start-up removed {Count} half-uploaded file(s) or job folder(s) without a job")]
    public static partial void CleanedUp(ILogger logger, int count);

    [LoggerMessage(6010, LogLevel.Information, "Job {Id} queued: {Profile} of {Name} ({Size} bytes) for client {Client}")]
    public static partial void Queued(ILogger logger, string id, string profile, string name, long size, string client);

    [LoggerMessage(6011, LogLevel.Information, "Job {Id} leased to {Worker} (attempts so far {Attempts})")]
    public static partial void Leased(ILogger logger, string id, string worker, int attempts);

    [LoggerMessage(6012, LogLevel.Information, "Job {Id} handed back by its worker without an attempt counted ({Attempts} so far)")]
    public static partial void Released(ILogger logger, string id, int attempts);

    [LoggerMessage(6013, LogLevel.Information, "Job {Id} succeeded: output {Size} bytes after {Seconds:0.0} s")]
    public static partial void Succeeded(ILogger logger, string id, long size, double seconds);

    [LoggerMessage(6014, LogLevel.Warning, "Job {Id} failed after {Attempts} attempt(s): {Error}")]
    public static partial void Failed(ILogger logger, string id, int attempts, string error);

    [LoggerMessage(6015, LogLevel.Warning, "Job {Id}: its worker's lease expired; attempts now {Attempts}")]
    public static partial void LeaseExpired(ILogger logger, string id, int attempts);

    [LoggerMessage(6016, LogLevel.Information, "Job {Id} cancelled")]
    public static partial void Cancelled(ILogger logger, string id);

    [LoggerMessage(6020, LogLevel.Information, "Job {Id}: output put into the library as {Path} at version {Version}")]
    public static partial void Ingested(ILogger logger, string id, string path, long version);

    [LoggerMessage(6021, LogLevel.Warning, "Job {Id}: the library refused the output as {Path}: {Error}")]
    public static partial void IngestRefused(ILogger logger, string id, string path, string error);

    [LoggerMessage(6030, LogLevel.Information, "Removed the files of {Count} finished job(s) kept longer than KeepDays")]
    public static partial void FilesRemoved(ILogger logger, int count);
}
