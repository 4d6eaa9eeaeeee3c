using System.Runtime.InteropServices;

namespace MediaFleet.Library.Store;

/// <summary>What .NET does not offer for durable renames: fsync of a directory, and free space of any folder.</summary>
internal static partial class Durability
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    /// <summary>Makes a rename or unlink in <paramref name="directory"/> durable (fsync of the directory, POSIX).</summary>
    public static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var fd = Open(directory, ReadOnlyDirectory);
        if (fd < 0)
        {
            throw new IOException($"cannot open folder {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of folder {directory} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Bytes free for an unprivileged writer on the file system that holds <paramref name="folder"/>.</summary>
    public static long FreeBytes(string folder) => new DriveInfo(folder).AvailableFreeSpace;

    /// <summary>Whether an exception is the disk running out of space (ENOSPC or EDQUOT).</summary>
    public static bool IsDiskFull(Exception exception) =>
        exception is IOException { HResult: 28 or 122 } || (exception.InnerException is { } inner && IsDiskFull(inner))
        || exception.Message.Contains("No space left on device", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
