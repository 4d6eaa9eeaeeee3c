using MediaFleet.Hosting.Processes;

namespace MediaFleet.Conversion.Ffmpeg;

/// <summary>
/// One ffmpeg conversion through <see cref="ChildProcess"/>: the input, a profile's arguments and the output, with
/// progress read from <c>-progress pipe:1</c>. A stop is SIGTERM first, on which ffmpeg finishes the file it writes.
/// </summary>
public static class FfmpegConversion
{
    /// <summary>How many of ffmpeg's last stderr lines a failed attempt reports.</summary>
    public const int ErrorTailLines = 20;

    /// <summary>
    /// The words of a conversion: no terminal, no banner, warnings and errors on stderr, progress on stdout, the output
    /// overwritten. Paths go as <c>file:</c> URLs, so a name with a ':' is never read as a protocol. ffmpeg picks the
    /// output's container from its extension: <paramref name="output"/> ends with the profile's extension.
    /// </summary>
    public static IReadOnlyList<string> Arguments(string input, IReadOnlyList<string> profileArguments, string output) =>
        ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "warning", "-progress", "pipe:1", "-y", "-i", FileUrl(input), .. profileArguments, FileUrl(output)];

    /// <summary>
    /// Starts a conversion and hands each progress block to <paramref name="onProgress"/> (on a pool thread, in
    /// order). The caller owns the process: wait, stop (SIGTERM, ffmpeg finishes the file) or dispose (kill).
    /// </summary>
    public static ChildProcess Start(string input, IReadOnlyList<string> profileArguments, string output, Action<FfmpegProgress>? onProgress)
    {
        var parser = new FfmpegProgressParser();
        return ChildProcess.Start(new ChildProcessStart("ffmpeg", Arguments(input, profileArguments, output))
        {
            ErrorTailLines = ErrorTailLines,
            OnOutputLine = line =>
            {
                if (parser.TryAdd(line, out var progress))
                {
                    onProgress?.Invoke(progress);
                }
            },
        });
    }

    /// <summary>Runs a conversion to its end; cancellation kills ffmpeg's tree at once, then throws.</summary>
    public static async Task<FfmpegResult> RunAsync(string input, IReadOnlyList<string> profileArguments, string output, Action<FfmpegProgress>? onProgress, CancellationToken cancellationToken)
    {
        await using var ffmpeg = Start(input, profileArguments, output, onProgress);
        var exitCode = await ffmpeg.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return new FfmpegResult(exitCode, ffmpeg.ErrorTail);
    }

    /// <summary>A path as ffmpeg's file protocol URL, absolute.</summary>
    public static string FileUrl(string path) => "file:" + Path.GetFullPath(path);
}

/// <summary>How an ffmpeg run ended: its exit code (the broker's probe decides success) and its last stderr lines.</summary>
public sealed record FfmpegResult(int ExitCode, IReadOnlyList<string> ErrorTail);
