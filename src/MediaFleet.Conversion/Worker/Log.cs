using Microsoft.Extensions.Logging;

namespace MediaFleet.Conversion.Worker;

/// <summary>The worker's log messages; event ids 6100–6199.</summary>
internal static partial class Log
{
    [LoggerMessage(6100, LogLevel.Information, "Worker {Id} ({Slots} slot(s), scratch {Scratch}) leasing from {Broker}; serving /metrics on {Urls}")]
    public static partial void Started(ILogger logger, string id, int slots, string scratch, string broker, string urls);


    [LoggerMessage(6110, LogLevel.Information, "Job {Id}: {Profile} of {Name} on {Worker}")]
    public static partial void Started(ILogger logger, string id, string profile, string name, string worker);

    [LoggerMessage(6111, LogLevel.Information, "Job {Id}: output uploaded ({Size} bytes); the broker says {State}")]
    public static partial void Uploaded(ILogger logger, string id, long size, string state);

    [LoggerMessage(6112, LogLevel.Warning, "Job {Id}: ffmpeg exited with {ExitCode}: {Line}")]
    public static partial void AttemptFailed(ILogger logger, string id, int exitCode, string line);

    [LoggerMessage(6113, LogLevel.Warning, "Job {Id}: the broker took the job away (lease expired or job cancelled); ffmpeg stopped")]
    public static partial void LeaseLost(ILogger logger, string id);

    [LoggerMessage(6114, LogLevel.Information, "Job {Id} handed back without an attempt: {Reason}")]
    public static partial void HandedBack(ILogger logger, string id, string reason);

    [LoggerMessage(6120, LogLevel.Warning, "Scratch space {Scratch} is short of the margin ({Margin} bytes): no lease is taken until there is room")]
    public static partial void ScratchShort(ILogger logger, string scratch, long margin);

    [LoggerMessage(6121, LogLevel.Information, "Scratch space {Scratch} has room again")]
    public static partial void ScratchRoom(ILogger logger, string scratch);

    [LoggerMessage(6123, LogLevel.Warning, "Removed {Folders} job folder(s) of a worker that died and ended {Ffmpegs} ffmpeg(s) it left running, in {Scratch}")]
    public static partial void StaleScratch(ILogger logger, int folders, int ffmpegs, string scratch);

    [LoggerMessage(6122, LogLevel.Warning, "Could not delete the scratch folder {Folder}: {Reason}")]
    public static partial void ScratchNotDeleted(ILogger logger, string folder, string reason);
}
