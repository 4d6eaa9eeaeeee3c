using System.Diagnostics;

namespace MediaFleet.Cli.Tests;

/// <summary>The checkout the tests were built from, and programs run to the end with their output.</summary>
internal static class Repository
{
    /// <summary>The folder holding MediaFleet.slnx, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "MediaFleet.slnx")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"no MediaFleet.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// Runs <paramref name="program"/> to its end (killed with its tree at <paramref name="timeout"/>) and returns its
    /// exit code, stdout and stderr. MSBuild's variables from a <c>dotnet test</c> parent are left out: a build
    /// started here must not run inside the test run's MSBuild.
    /// </summary>
    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(string program, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{program} {string.Join(' ', args)} ran longer than {timeout}: {await error}");
        }
        return (process.ExitCode, await output, await error);
    }
}
