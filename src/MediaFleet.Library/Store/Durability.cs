using System.Runtime.InteropServices;

namespace MediaFleet.Library.Store;

/// <summary>What .NET does not offer for durable renames: fsync of a directory, and free space of any folder.</summary>
public static partial class Durability
{
    // O_RDONLY | O_DIRECTORY: the flag's value differs between x86 (0x10000) and ARM (0x4000) Linux.
    private static readonly int ReadOnlyDirectory = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;
    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE
    private const int GetFlags = 3; // F_GETFL
    private const int SetFlags = 4; // F_SETFL

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

    /// <summary>
    /// Flushes every file and folder of the file system holding <paramref name="folder"/> (Linux <c>syncfs</c>, which
    /// also reports a writeback error of any of them): one call that makes a whole batch of small files durable, where
    /// an fsync of each would cost a journal commit and a disk flush per file. False where there is no syncfs.
    /// </summary>
    /// <exception cref="IOException">The flush failed: some written bytes may not be on disk.</exception>
    public static bool SyncFileSystem(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        var fd = Open(folder, ReadOnlyDirectory);
        if (fd < 0)
        {
            throw new IOException($"cannot open folder {folder} to flush its file system (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (SyncFs(fd) != 0)
            {
                throw new IOException($"syncfs of the file system of {folder} failed (errno {Marshal.GetLastPInvokeError()})");
            }
            return true;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Starts writing back the dirty pages of a byte range of <paramref name="file"/> without waiting (Linux
    /// sync_file_range with SYNC_FILE_RANGE_WRITE), so the final fsync of a large write has little left to do.
    /// Only a hint: durability still comes from the fsync.
    /// </summary>
    public static void StartWriteBack(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            _ = SyncFileRange((int)file.DangerousGetHandle(), offset, length, SyncFileRangeWrite);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Turns O_DIRECT on or off for an open file (fcntl F_SETFL, Linux only). Returns whether the file is now in the
    /// requested mode; a file system without direct I/O (tmpfs, some FUSE) refuses and the file stays buffered.
    /// </summary>
    public static bool TrySetDirectIo(Microsoft.Win32.SafeHandles.SafeFileHandle file, bool enable)
    {
        if (!OperatingSystem.IsLinux())
        {
            return !enable;
        }
        // O_DIRECT is 040000 on x86 and 0200000 on ARM (asm-generic vs arch headers).
        var direct = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var fd = (int)file.DangerousGetHandle();
            var flags = Fcntl(fd, GetFlags, 0);
            if (flags < 0)
            {
                return !enable;
            }
            return Fcntl(fd, SetFlags, enable ? flags | direct : flags & ~direct) == 0 || !enable && (flags & direct) == 0;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Renames <paramref name="source"/> (a file, a folder, anything) to <paramref name="target"/> with rename(2) and
    /// nothing else: no copy-and-delete fallback, which would read a failing copy or delete the source. Without
    /// <paramref name="replace"/> an existing target is an error. Returns null, or why the rename failed
    /// ("Device or resource busy" for a mount point).
    /// </summary>
    public static string? TryRename(string source, string target, bool replace)
    {
        if (!OperatingSystem.IsLinux())
        {
            try
            {
                File.Move(source, target, replace);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return e.Message;
            }
        }
        const int CurrentFolder = -100; // AT_FDCWD
        const uint NoReplace = 1; // RENAME_NOREPLACE
        return RenameAt2(CurrentFolder, source, CurrentFolder, target, replace ? 0 : NoReplace) == 0
            ? null
            : Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
    }

    /// <summary>Bytes free for an unprivileged writer on the file system that holds <paramref name="folder"/>.</summary>
    public static long FreeBytes(string folder) => new DriveInfo(folder).AvailableFreeSpace;

    /// <summary>Whether an exception is the disk running out of space (ENOSPC or EDQUOT, or SQLite's SQLITE_FULL).</summary>
    public static bool IsDiskFull(Exception exception) =>
        exception is IOException { HResult: 28 or 122 } or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 13 }
        || (exception.InnerException is { } inner && IsDiskFull(inner))
        || exception.Message.Contains("No space left on device", StringComparison.Ordinal);

    /// <summary>
    /// Swaps two existing files in one atomic step (Linux renameat2 with RENAME_EXCHANGE), so a replacement can be
    /// undone by swapping again. False where that is not possible (other systems, a file system without it, a
    /// missing file); the caller then renames.
    /// </summary>
    public static bool TryExchange(string first, string second)
    {
        const int CurrentFolder = -100; // AT_FDCWD
        const uint Exchange = 2; // RENAME_EXCHANGE
        return OperatingSystem.IsLinux() && RenameAt2(CurrentFolder, first, CurrentFolder, second, Exchange) == 0;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int sourceFolder, string source, int targetFolder, string target, uint flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
