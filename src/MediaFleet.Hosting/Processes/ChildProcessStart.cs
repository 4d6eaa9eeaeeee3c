namespace MediaFleet.Hosting.Processes;

/// <summary>What <see cref="ChildProcess.Start"/> runs: a program and its words, never a command line for a shell.</summary>
public sealed record ChildProcessStart(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>The child's working directory (default: this process's).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Variables set for the child on top of this process's environment; a null value removes one.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// Called with each line the child writes on stdout, in order, on a thread of the pool. An exception ends the
    /// process tree and is rethrown by <see cref="ChildProcess.WaitForExitAsync"/>.
    /// </summary>
    public Action<string>? OnOutputLine { get; init; }

    /// <summary>Called with each stderr line (concurrently with <see cref="OnOutputLine"/>); the tail is kept anyway.</summary>
    public Action<string>? OnErrorLine { get; init; }

    /// <summary>How many of the last stderr lines <see cref="ChildProcess.ErrorTail"/> keeps: enough for an error report.</summary>
    public int ErrorTailLines { get; init; } = 20;
}
