using System.Globalization;
using System.Runtime.InteropServices;

namespace MediaFleet.Hosting.Processes;

/// <summary>
/// The processes below a child, read from <c>/proc</c>, and the signals sent to them. A member is a pid with its start
/// time, so a pid the kernel has given to a new process since is never signalled.
/// </summary>
internal static class ProcessTree
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    internal readonly record struct Member(int Pid, ulong StartTicks);

    /// <summary>The root and every process below it that is alive now (none when the root is gone).</summary>
    public static List<Member> Below(int root)
    {
        var children = new Dictionary<int, List<Member>>();
        Member? rootMember = null;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !TryRead(pid, out var parent, out var start))
            {
                continue;
            }
            if (pid == root)
            {
                rootMember = new Member(pid, start);
            }
            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }
            list.Add(new Member(pid, start));
        }
        var members = new List<Member>();
        if (rootMember is not { } first)
        {
            return members;
        }
        var pending = new Queue<Member>([first]);
        while (pending.TryDequeue(out var member))
        {
            members.Add(member);
            foreach (var child in children.GetValueOrDefault(member.Pid) ?? [])
            {
                pending.Enqueue(child);
            }
        }
        return members;
    }

    /// <summary>The live process <paramref name="pid"/> as a member (one read of its stat file), or null when it is gone.</summary>
    public static Member? Of(int pid) => TryRead(pid, out _, out var start) ? new Member(pid, start) : null;

    /// <summary>The live direct children of <paramref name="pid"/>.</summary>
    public static List<Member> ChildrenOf(int pid)
    {
        var children = new List<Member>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child)
                && TryRead(child, out var parent, out var start) && parent == pid)
            {
                children.Add(new Member(child, start));
            }
        }
        return children;
    }

    /// <summary>Sends <paramref name="signal"/> to the member when it is still the same process.</summary>
    public static void Signal(Member member, int signal)
    {
        if (TryRead(member.Pid, out _, out var start) && start == member.StartTicks)
        {
            _ = kill(member.Pid, signal);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to every process of the group; false when there is no such group.</summary>
    public static bool SignalGroup(int group, int signal) => kill(-group, signal) == 0;

    /// <summary>
    /// Reads the parent and start time from <c>/proc/PID/stat</c>; the command name may hold blanks and parentheses,
    /// so fields are counted after its last ')' (proc(5): state is field 3, ppid 4, starttime 22).
    /// </summary>
    private static bool TryRead(int pid, out int parent, out ulong startTicks)
    {
        parent = 0;
        startTicks = 0;
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // A zombie is dead already: signals cannot reach it and its children belong to init.
        return fields.Length > 19 && fields[0] != "Z"
            && int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out parent)
            && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out startTicks);
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code for nothing here: two ints in, one out.
    private static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054
}
