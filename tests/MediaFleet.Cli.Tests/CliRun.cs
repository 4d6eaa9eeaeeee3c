namespace MediaFleet.Cli.Tests;

/// <summary>Runs the real command line in this process and captures what it prints.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <summary>Runs a command that runs until cancelled (convert watch); <paramref name="stop"/> plays SIGTERM.</summary>
    public static async Task<CliRun> RunAsync(CancellationToken stop, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error, stop);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public IReadOnlyList<string> Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Errors are one plain line on stderr (DESIGN.md section 10).</summary>
    public string SingleErrorLine()
    {
        var lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("mfleet: ", lines[0], StringComparison.Ordinal);
        return lines[0];
    }
}
