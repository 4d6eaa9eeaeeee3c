using System.Diagnostics;

namespace MediaFleet.Testing;

/// <summary>
/// A small tmpfs mounted on a fresh folder (needs root), so a test can fill a disk for real: writes past its size
/// fail with ENOSPC. Disposing unmounts it (lazily when something still holds it open) and removes the folder.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private readonly TempFolder _folder = new("mfleet-tmpfs-");
    private bool _mounted;

    public TmpfsMount(long sizeBytes)
    {
        try
        {
            Run("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes, "tmpfs", _folder.Path);
            _mounted = true;
        }
        catch
        {
            _folder.Dispose();
            throw;
        }
    }

    /// <summary>The mount point.</summary>
    public string Path => _folder.Path;

    /// <summary>Bytes still free on the tmpfs.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>A folder (created) or file path on the tmpfs.</summary>
    public string Combine(params string[] parts) => _folder.Combine(parts);

    /// <summary>Makes the file system read-only (<c>mount -o remount,ro</c>): every write fails with EROFS, for root too.</summary>
    public void MakeReadOnly() => Run("mount", "-o", "remount,ro", Path);

    /// <summary>Changes the size in place (<c>mount -o remount,size=…</c>); the files stay.</summary>
    public void Resize(long sizeBytes) => Run("mount", "-o", "remount,size=" + sizeBytes, Path);

    /// <summary>
    /// Writes <paramref name="file"/> (a path on the tmpfs) until only <paramref name="leave"/> bytes are free, or
    /// until the file system refuses more; returns the bytes written. Deleting the file frees them again.
    /// </summary>
    public long Fill(string file, long leave = 0)
    {
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)0x5a);
        long written = 0;
        using var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 0);
        try
        {
            while (FreeBytes - leave is var room && room > 0)
            {
                var size = (int)Math.Min(chunk.Length, room);
                stream.Write(chunk, 0, size);
                written += size;
            }
        }
        catch (IOException)
        {
            // ENOSPC: another writer took the last bytes first; full is what was asked for.
        }
        return written;
    }

    public void Dispose()
    {
        if (_mounted)
        {
            _mounted = false;
            try
            {
                Run("umount", Path);
            }
            catch (InvalidOperationException)
            {
                // Busy (a process still has a file open there): detach now, the kernel frees it when the last user goes.
                Run("umount", "-l", Path);
            }
        }
        _folder.Dispose();
    }

    private static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Trim()}");
        }
    }
}
