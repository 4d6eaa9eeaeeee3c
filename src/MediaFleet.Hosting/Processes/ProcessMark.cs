using System.Globalization;

namespace MediaFleet.Hosting.Processes;

/// <summary>
/// A process written down as its pid and start time, so that a later process (after a crash and restart) can tell
/// whether it still runs and end it, and never touches another process that got the same pid since.
/// </summary>
public readonly record struct ProcessMark(int Pid, ulong StartTicks)
{
    /// <summary>The mark of a running process, or null when it is gone.</summary>
    public static ProcessMark? Of(int pid) => ProcessTree.Of(pid) is { } member ? new ProcessMark(member.Pid, member.StartTicks) : null;

    /// <summary>The live direct children of <paramref name="pid"/> (a worker's ffmpeg).</summary>
    public static IReadOnlyList<ProcessMark> ChildrenOf(int pid) => [.. ProcessTree.ChildrenOf(pid).Select(m => new ProcessMark(m.Pid, m.StartTicks))];

    /// <summary>Whether the marked process still runs (same pid, same start time).</summary>
    public bool IsAlive => ProcessTree.Of(Pid) is { } member && member.StartTicks == StartTicks;

    /// <summary>The marked process's command name (<c>/proc/PID/comm</c>), or null when it is gone.</summary>
    public string? Command
    {
        get
        {
            try
            {
                return IsAlive ? File.ReadAllText($"/proc/{Pid}/comm").Trim() : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    /// <summary>Kills the marked process and everything below it, when it is still the same process (a reused pid is left alone).</summary>
    public void KillTree()
    {
        var tree = ProcessTree.Below(Pid);
        if (tree is [var root, ..] && root.StartTicks == StartTicks)
        {
            foreach (var member in tree)
            {
                ProcessTree.Signal(member, ProcessTree.SigKill);
            }
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Pid} {StartTicks}");

    public static bool TryParse(string? text, out ProcessMark mark)
    {
        mark = default;
        var parts = text?.Trim().Split(' ');
        if (parts is [var pid, var start] && int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
            && ulong.TryParse(start, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
        {
            mark = new ProcessMark(p, s);
            return true;
        }
        return false;
    }
}
