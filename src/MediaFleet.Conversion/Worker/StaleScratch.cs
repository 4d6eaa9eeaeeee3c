using MediaFleet.Hosting.Processes;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Conversion.Worker;

/// <summary>
/// What a worker killed with kill -9 leaves in its scratch folder: job folders, and an ffmpeg that runs on (it leads its
/// own session). Each job folder names its owner and its ffmpeg by pid and start time; at start-up a worker ends the
/// ffmpeg of every folder whose owner is gone and deletes the folder. Folders of a live worker sharing the scratch stay.
/// </summary>
internal static class StaleScratch
{
    public const string OwnerFile = ".owner";
    public const string FfmpegFile = ".ffmpeg";

    /// <summary>This process's mark, as written into each job folder it makes.</summary>
    public static string Self { get; } = ProcessMark.Of(Environment.ProcessId)?.ToString() ?? "";

    /// <summary>Ends orphaned ffmpegs and deletes folders of dead workers; returns (folders removed, ffmpegs ended).</summary>
    public static (int Folders, int Ffmpegs) CleanUp(string scratch, ILogger logger)
    {
        var (folders, ffmpegs) = (0, 0);
        if (!Directory.Exists(scratch))
        {
            return (0, 0);
        }
        foreach (var folder in Directory.EnumerateDirectories(scratch))
        {
            var owner = Read(Path.Combine(folder, OwnerFile));
            if (owner is { IsAlive: true })
            {
                continue;
            }
            if (Read(Path.Combine(folder, FfmpegFile)) is { IsAlive: true } ffmpeg)
            {
                ffmpeg.KillTree();
                ffmpegs++;
            }
            try
            {
                Directory.Delete(folder, recursive: true);
                folders++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.ScratchNotDeleted(logger, folder, e.Message);
            }
        }
        return (folders, ffmpegs);
    }

    private static ProcessMark? Read(string file)
    {
        try
        {
            return ProcessMark.TryParse(File.ReadAllText(file), out var mark) ? mark : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
