using MediaFleet.Hosting.Processes;

namespace MediaFleet.Coordinator.Nginx;

/// <summary>
/// Runs an operator's command (the nginx test or reload) without a shell: words from <see cref="CommandWords"/>,
/// output gathered, the whole process tree ended when it outlives its time.
/// </summary>
internal static class ExternalCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Lines kept of each stream: more than the 600 characters a report shows.</summary>
    private const int KeptLines = 200;

    /// <summary>Null when the command exited 0, else one line: the exit code and the last of its output.</summary>
    public static async Task<string?> RunAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var words = CommandWords.Split(command);
        var output = new Queue<string>();
        ChildProcess process;
        try
        {
            process = ChildProcess.Start(new ChildProcessStart(words[0], [.. words.Skip(1)])
            {
                ErrorTailLines = KeptLines,
                OnOutputLine = line =>
                {
                    output.Enqueue(line);
                    if (output.Count > KeptLines)
                    {
                        output.Dequeue();
                    }
                },
            });
        }
        catch (ChildProcessStartException e)
        {
            return $"'{command}' could not be started: {e.Reason}";
        }
        await using (process.ConfigureAwait(false))
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            int exitCode;
            try
            {
                exitCode = await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The wait's cancellation has ended the whole tree already.
                cancellationToken.ThrowIfCancellationRequested();
                return $"'{command}' did not finish within {timeout.TotalSeconds:0} s and was ended";
            }
            if (exitCode == 0)
            {
                return null;
            }
            var text = string.Join(' ', process.ErrorTail.Concat(output)
                .SelectMany(l => l.Split('\r', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Where(l => l.Length > 0));
            if (text.Length > 600)
            {
                text = "…" + text[^600..];
            }
            return $"'{command}' exited with {exitCode}: {text}".TrimEnd(' ', ':');
        }
    }
}
