namespace MediaFleet.Hosting.Processes;

/// <summary>A child process could not be started: the program is missing or not executable, or its folder is.</summary>
public sealed class ChildProcessStartException(string program, string reason, Exception? inner = null)
    : Exception($"'{program}' could not be started: {reason}", inner)
{
    /// <summary>Why, without the program's name: "not found on PATH".</summary>
    public string Reason { get; } = reason;
}
