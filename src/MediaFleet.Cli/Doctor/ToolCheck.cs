using System.Collections.Concurrent;
using MediaFleet.Hosting.Processes;

namespace MediaFleet.Cli.Doctor;

/// <summary>The programs a role runs: ffmpeg and ffprobe for conversion, the coordinator's nginx test.</summary>
internal static class ToolCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary><c>PROGRAM -version</c>: present and working, with the version it reports.</summary>
    public static async Task<Finding> VersionAsync(string check, string program, CancellationToken cancellationToken)
    {
        var (exitCode, output, failure) = await RunAsync([program, "-hide_banner", "-version"], cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return Finding.Fail(check, $"{failure}: install it (Debian: apt-get install ffmpeg)");
        }
        return exitCode == 0
            ? Finding.Ok(check, output.FirstOrDefault() ?? $"{program} runs")
            : Finding.Fail(check, $"{program} -version exited with {exitCode}: {output.LastOrDefault()}");
    }

    /// <summary>An operator's command (the coordinator's <c>--nginx-test</c>): passes when it exits 0.</summary>
    public static async Task<Finding> CommandAsync(string check, string command, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> words;
        try
        {
            words = CommandWords.Split(command);
        }
        catch (FormatException e)
        {
            return Finding.Fail(check, $"'{command}': {e.Message}");
        }
        if (words.Count == 0)
        {
            return Finding.Fail(check, "no command");
        }
        var (exitCode, output, failure) = await RunAsync(words, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return Finding.Fail(check, failure);
        }
        var last = output.LastOrDefault(l => l.Length > 0);
        return exitCode == 0
            ? Finding.Ok(check, $"'{command}' passes{(last is null ? "" : ": " + last)}")
            : Finding.Fail(check, $"'{command}' exited with {exitCode}{(last is null ? "" : ": " + last)}");
    }

    /// <summary>Runs a program without a shell; its stdout and stderr lines, or why it could not run.</summary>
    private static async Task<(int ExitCode, IReadOnlyList<string> Output, string? Failure)> RunAsync(IReadOnlyList<string> words, CancellationToken cancellationToken)
    {
        var output = new ConcurrentQueue<string>();
        ChildProcess process;
        try
        {
            process = ChildProcess.Start(new ChildProcessStart(words[0], [.. words.Skip(1)]) { OnOutputLine = output.Enqueue });
        }
        catch (ChildProcessStartException e)
        {
            return (-1, [], $"'{words[0]}' cannot be run: {e.Reason}");
        }
        await using (process.ConfigureAwait(false))
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(Timeout);
            try
            {
                var exitCode = await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
                return (exitCode, [.. output.Concat(process.ErrorTail).Select(l => l.Trim())], null);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (-1, [], $"'{string.Join(' ', words)}' did not finish within {Timeout.TotalSeconds:0} s");
            }
        }
    }
}
