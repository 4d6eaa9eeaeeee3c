using System.Globalization;

namespace MediaFleet.Testing;

/// <summary>What <c>/proc</c> says about processes, so tests check by pid that what they started is gone.</summary>
public static class ProcFs
{
    /// <summary>True while the process exists and is not a zombie (a zombie is dead; only its entry waits for a reaper).</summary>
    public static bool IsAlive(int pid) => Stat(pid) is { } fields && fields[0] != "Z";

    /// <summary>The live children of <paramref name="pid"/>.</summary>
    public static IReadOnlyList<int> Children(int pid) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0)
            .Where(p => p > 0 && Stat(p) is { } f && f[0] != "Z" && f[1] == pid.ToString(CultureInfo.InvariantCulture))
            .ToList();

    /// <summary>The process group of <paramref name="pid"/>, or null when it is gone.</summary>
    public static int? ProcessGroup(int pid) => Stat(pid) is { } fields ? int.Parse(fields[2], CultureInfo.InvariantCulture) : null;

    /// <summary>The command name (<c>/proc/PID/comm</c>), or null when it is gone.</summary>
    public static string? Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Waits until none of <paramref name="pids"/> is alive; throws after <paramref name="deadline"/> naming the living.</summary>
    public static async Task AllGoneAsync(IEnumerable<int> pids, TimeSpan deadline)
    {
        var list = pids.ToList();
        using var timeout = new CancellationTokenSource(deadline);
        while (list.Where(IsAlive).ToList() is { Count: > 0 } alive)
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"still alive after {deadline.TotalSeconds} s: {string.Join(", ", alive.Select(p => $"{p} ({Command(p)})"))}");
            }
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; throws after <paramref name="deadline"/> naming it.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"gave up waiting for {what}");
            }
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>Waits until <paramref name="pid"/> has <paramref name="count"/> live children and returns them.</summary>
    public static async Task<IReadOnlyList<int>> ChildrenAsync(int pid, int count, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        while (true)
        {
            var children = Children(pid);
            if (children.Count >= count)
            {
                return children;
            }
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"{pid} has {children.Count} children, not {count}, after {deadline.TotalSeconds} s");
            }
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>The fields of <c>/proc/PID/stat</c> after the command name: [0] state, [1] ppid, [2] pgrp.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }
}
