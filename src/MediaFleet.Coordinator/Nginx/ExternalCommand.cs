using System.Diagnostics;
using System.Text;
using MediaFleet.Coordinator.Configuration;

namespace MediaFleet.Coordinator.Nginx;

/// <summary>
/// Runs an operator's command (the nginx test or reload) without a shell: words from <see cref="CommandWords"/>,
/// output gathered, the whole process tree ended when it outlives its time.
/// </summary>
internal static class ExternalCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Null when the command exited 0, else one line: the exit code and the last of its output.</summary>
    public static async Task<string?> RunAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var words = CommandWords.Split(command);
        var start = new ProcessStartInfo(words[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var word in words.Skip(1))
        {
            start.ArgumentList.Add(word);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"'{command}' could not be started: {e.Message}";
        }
        using (process)
        {
            process.StandardInput.Close();
            var output = new StringBuilder();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                return $"'{command}' did not finish within {timeout.TotalSeconds:0} s and was ended";
            }
            output.Append(await stderr.ConfigureAwait(false)).Append(' ').Append(await stdout.ConfigureAwait(false));
            if (process.ExitCode == 0)
            {
                return null;
            }
            var text = string.Join(' ', output.ToString().Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            if (text.Length > 600)
            {
                text = "…" + text[^600..];
            }
            return $"'{command}' exited with {process.ExitCode}: {text}".TrimEnd(' ', ':');
        }
    }
}
