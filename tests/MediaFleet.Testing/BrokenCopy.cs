using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MediaFleet.Testing;

/// <summary>
/// A real fault in place of one library file, undone on dispose (needs root for the bind mounts): a read that fails
/// with EIO (<c>/proc/&lt;pid&gt;/mem</c> of a <c>sleep</c> this class starts and kills, bind-mounted over the file), an
/// open that fails with EACCES (a write-only sysfs attribute bind-mounted over it), a FIFO or a folder where the file
/// was. Dispose it before the folder it sits in.
/// </summary>
public sealed class BrokenCopy : IAsyncDisposable
{
    private readonly string _file;
    private readonly Process? _owner;
    private readonly bool _mounted;
    private bool _disposed;

    private BrokenCopy(string file, Process? owner, bool mounted)
    {
        _file = file;
        _owner = owner;
        _mounted = mounted;
    }

    /// <summary>Every read of <paramref name="file"/> fails with EIO (it shows as an empty regular file).</summary>
    public static async Task<BrokenCopy> InputOutputErrorAsync(string file)
    {
        var sleep = Process.Start(new ProcessStartInfo("sleep", "3600") { UseShellExecute = false })!;
        try
        {
            // Address 0 of a process is never mapped: reading its memory file from offset 0 answers EIO.
            await BindAsync($"/proc/{sleep.Id}/mem", file);
            return new BrokenCopy(file, sleep, mounted: true);
        }
        catch
        {
            sleep.Kill();
            await sleep.WaitForExitAsync();
            sleep.Dispose();
            throw;
        }
    }

    /// <summary>Opening <paramref name="file"/> for reading fails with EACCES, even for root (it shows as 4096 bytes).</summary>
    public static async Task<BrokenCopy> PermissionDeniedAsync(string file)
    {
        // A sysfs attribute without a read method refuses a read open; PCI rescan is write-only on every PCI machine.
        var attribute = new[] { "/sys/bus/pci/rescan", "/sys/fs/xfs/stats/stats_clear" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("no write-only sysfs attribute found to bind-mount over a file");
        await BindAsync(attribute, file);
        return new BrokenCopy(file, null, mounted: true);
    }

    /// <summary>A named pipe where <paramref name="file"/> was: an open for reading would wait for a writer forever.</summary>
    public static BrokenCopy Fifo(string file)
    {
        File.Delete(file);
        if (MakeFifo(file, 0b110_100_100) != 0)
        {
            throw new IOException($"mkfifo {file}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
        return new BrokenCopy(file, null, mounted: false);
    }

    /// <summary>An empty folder where <paramref name="file"/> was.</summary>
    public static BrokenCopy Folder(string file)
    {
        File.Delete(file);
        Directory.CreateDirectory(file);
        return new BrokenCopy(file, null, mounted: false);
    }

    private static async Task BindAsync(string source, string target)
    {
        var (code, output) = await RunAsync("mount", "--bind", source, target);
        if (code != 0)
        {
            throw new InvalidOperationException($"mount --bind {source} {target} failed ({code}): {output}");
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output.Trim());
    }

    /// <summary>Unmounts (lazily: a node may still hold the file open), ends the owned <c>sleep</c>; safe twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_mounted)
        {
            await RunAsync("umount", "-l", _file);
        }
        if (_owner is not null)
        {
            _owner.Kill();
            await _owner.WaitForExitAsync();
            _owner.Dispose();
        }
        if (File.Exists(_file) && !_mounted)
        {
            // A reader stuck in open() on the FIFO is let go by a writer showing up.
            var fd = Open(_file, OpenWriteOnly | OpenNonBlocking);
            if (fd >= 0)
            {
                _ = Close(fd);
            }
        }
    }

    private const int OpenWriteOnly = 1;
    private const int OpenNonBlocking = 0x800;

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
