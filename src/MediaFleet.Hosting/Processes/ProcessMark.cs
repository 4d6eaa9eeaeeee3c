using System.Globalization;

namespace MediaFleet.Hosting.Processes;

/// <summary>
/// A process written down as its pid and start time, so that a later process (after a crash and restart) can tell
/// whether it still runs and end it, and never touches another process that got the same pid since.
/// </summary>
public readonly record struct ProcessMark(int Pid, ulong StartTicks)
{
    /// <summary>The mark of a running process, or null when it is gone.</summary>
    public static ProcessMark? Of(int pid)
    {
        foreach (var member in ProcessTree.Below(pid))
        {
            return new ProcessMark(member.Pid, member.StartTicks);
        }
        return null;
    }

    /// <summary>Whether the marked process still runs (same pid, same start time).</summary>
    public bool IsAlive => ProcessTree.Below(Pid) is [var root, ..] && root.StartTicks == StartTicks;

    /// <summary>Kills the marked process and everything below it, when it is still the same process.</summary>
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
