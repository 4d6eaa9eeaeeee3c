using System.Diagnostics;

namespace MediaFleet.Cluster.Tests.Monitoring;

/// <summary>
/// Runs Prometheus' own checker, <c>promtool</c> (Debian package <c>prometheus</c>), and returns its exit code with
/// everything it printed, so a failing assertion shows promtool's reasons.
/// </summary>
internal static class Promtool
{
    public sealed record Result(int ExitCode, string Output);

    /// <summary>Runs <c>promtool ARGS…</c> in <paramref name="folder"/>, writing <paramref name="input"/> to its stdin when given.</summary>
    public static async Task<Result> RunAsync(string folder, string? input, params string[] args)
    {
        var start = new ProcessStartInfo("promtool")
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: apt-get install prometheus (it ships /usr/bin/promtool)", e);
        }
        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input);
            }
            process.StandardInput.Close();
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }
            return new Result(process.ExitCode, $"promtool {string.Join(' ', args)} exited {process.ExitCode}:\n{await stdout}{await stderr}");
        }
    }

    /// <summary>The folder of deploy/prometheus as copied beside the tests (see the project file).</summary>
    public static string RulesFolder => Path.Combine(AppContext.BaseDirectory, "prometheus");
}
