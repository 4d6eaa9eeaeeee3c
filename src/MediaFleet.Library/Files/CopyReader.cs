using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MediaFleet.Library.Files;

/// <summary>Why a copy in the library folder cannot be read.</summary>
public enum CopyFault
{
    /// <summary>Nothing is at the path.</summary>
    Absent,

    /// <summary>A FIFO, a folder, a device or a socket is where a file should be; it is never read.</summary>
    NotARegularFile,

    /// <summary>The open or a read fails (EIO from a failing disk, EACCES, …).</summary>
    Unreadable,
}

/// <summary>A copy opened for reading (<see cref="Handle"/> set), or the fault that kept it shut.</summary>
public readonly record struct OpenedCopy(SafeFileHandle? Handle, long Length, CopyFault? Fault, string Detail)
{
    /// <summary>Which file was opened, as it was then (Linux; default elsewhere).</summary>
    public CopyIdentity Identity { get; init; }
}

/// <summary>
/// A file and the state of its inode: device and inode number, type and permissions, owner, change and modification
/// times, size. Two equal identities taken at different times mean the same file, and that nothing about it changed
/// in between: the change time moves on every chmod, chown, link, rename and write.
/// </summary>
public readonly record struct CopyIdentity(ulong Device, ulong Inode, ushort Mode, uint Owner, uint Group, long ChangedSeconds, uint ChangedNanoseconds, long ModifiedSeconds, uint ModifiedNanoseconds, long Size);

/// <summary>
/// Opens copies of the library for reading without ever blocking on or reading something that is not a regular file:
/// the open itself is non-blocking (a FIFO must not wait for a writer) and the type is checked on the open descriptor,
/// so nothing can be swapped in between. Faults come back as values with a reason a person can act on.
/// </summary>
public static partial class CopyReader
{
    private const int ReadOnlyNonBlocking = 0x800 | 0x80000; // O_RDONLY | O_NONBLOCK | O_CLOEXEC (same on x86 and ARM)
    private const int CurrentFolder = -100; // AT_FDCWD
    private const int EmptyPath = 0x1000; // AT_EMPTY_PATH: statx of the descriptor itself
    private const uint TypeAndSize = 0x1 | 0x200; // STATX_TYPE | STATX_SIZE
    private const uint IdentityFields = 0x1 | 0x2 | 0x8 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200; // TYPE MODE UID GID MTIME CTIME INO SIZE
    private const int NoSuchFile = 2; // ENOENT
    private const int NotAFolder = 20; // ENOTDIR: a path segment is a file
    private const int Interrupted = 4; // EINTR
    private const int StatxSize = 256; // sizeof(struct statx)

    /// <summary>Opens <paramref name="path"/> for reading if it is a readable regular file (symlinks followed).</summary>
    public static OpenedCopy Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return OpenPortably(path);
        }
        var fd = OpenFile(path, ReadOnlyNonBlocking);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is NoSuchFile or NotAFolder)
            {
                return Faulted(CopyFault.Absent, "absent from the folder");
            }
            // A socket refuses any open (ENXIO); say what is there rather than the errno.
            return TypeOf(path, CurrentFolder, 0) is { } type && type != FileType.Regular
                ? NotRegular(type)
                : Faulted(CopyFault.Unreadable, "unreadable: " + Marshal.GetPInvokeErrorMessage(errno));
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        Span<byte> stat = stackalloc byte[StatxSize];
        if (Statx(fd, "", EmptyPath, IdentityFields, stat) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            return Faulted(CopyFault.Unreadable, "unreadable: " + Marshal.GetPInvokeErrorMessage(errno));
        }
        var kind = Type(stat);
        if (kind != FileType.Regular)
        {
            handle.Dispose();
            return NotRegular(kind);
        }
        return new OpenedCopy(handle, (long)MemoryMarshal.Read<ulong>(stat[40..]), null, "ok") { Identity = IdentityOf(stat) };
    }

    /// <summary>
    /// The identity of what <paramref name="path"/> names now (symlinks followed, as <see cref="Open"/> does), without
    /// opening it; null when it cannot be had (absent, not allowed, not Linux). One system call: a copy kept open is
    /// still the file at its path exactly when this equals the identity it was opened with.
    /// </summary>
    public static CopyIdentity? Identify(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        Span<byte> stat = stackalloc byte[StatxSize];
        return Statx(CurrentFolder, path, 0, IdentityFields, stat) == 0 ? IdentityOf(stat) : null;
    }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>'s length from a regular file at <paramref name="offset"/> (pread(2)); 0 at
    /// the end. <see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/> does the same after an lseek that
    /// probes whether a new handle can seek: a system call per request when every request opens its copy.
    /// </summary>
    /// <exception cref="IOException">The read failed (a handle that cannot seek too); <see cref="Exception.HResult"/> is the errno, as RandomAccess reports it.</exception>
    public static int Read(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        // off_t is 64 bits only on 64-bit Linux.
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            return RandomAccess.Read(file, buffer, offset);
        }
        while (true)
        {
            var read = PRead(file, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length, offset);
            if (read >= 0)
            {
                return (int)read;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
            }
        }
    }

    /// <summary>The reason for a read that failed after the open: "unreadable: Input/output error".</summary>
    public static string Unreadable(Exception exception) =>
        "unreadable: " + (exception is IOException { HResult: > 0 and < 4096 } io ? Marshal.GetPInvokeErrorMessage(io.HResult) : exception.Message);

    /// <summary>Whether an exception from reading a copy is the copy's fault (I/O error, permission), not a bug.</summary>
    public static bool IsReadFault(Exception exception) => exception is IOException or UnauthorizedAccessException;

    private static OpenedCopy OpenPortably(string path)
    {
        if (Directory.Exists(path))
        {
            return NotRegular(FileType.Directory);
        }
        try
        {
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new OpenedCopy(handle, RandomAccess.GetLength(handle), null, "ok");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Faulted(CopyFault.Absent, "absent from the folder");
        }
        catch (Exception e) when (IsReadFault(e))
        {
            return Faulted(CopyFault.Unreadable, Unreadable(e));
        }
    }

    private static OpenedCopy Faulted(CopyFault fault, string detail) => new(null, 0, fault, detail);

    private static OpenedCopy NotRegular(FileType type) => Faulted(CopyFault.NotARegularFile, type switch
    {
        FileType.Fifo => "not a regular file (a FIFO)",
        FileType.Directory => "not a regular file (a directory)",
        FileType.CharacterDevice or FileType.BlockDevice => "not a regular file (a device)",
        FileType.Socket => "not a regular file (a socket)",
        _ => "not a regular file",
    });

    private static FileType? TypeOf(string path, int folder, int flags)
    {
        Span<byte> stat = stackalloc byte[StatxSize];
        return Statx(folder, path, flags, TypeAndSize, stat) == 0 ? Type(stat) : null;
    }

    // struct statx is the same on every architecture: stx_mode is the 16 bits at offset 28, stx_size 64 bits at 40.
    private static FileType Type(ReadOnlySpan<byte> stat) => (FileType)(MemoryMarshal.Read<ushort>(stat[28..]) & 0xF000);

    // Offsets in struct statx (linux/stat.h): uid 20, gid 24, mode 28, ino 32, size 40, ctime 96, mtime 112 (a timestamp
    // is tv_sec s64, tv_nsec u32), dev_major 136, dev_minor 140.
    private static CopyIdentity IdentityOf(ReadOnlySpan<byte> stat) => new(
        ((ulong)MemoryMarshal.Read<uint>(stat[136..]) << 32) | MemoryMarshal.Read<uint>(stat[140..]),
        MemoryMarshal.Read<ulong>(stat[32..]),
        MemoryMarshal.Read<ushort>(stat[28..]),
        MemoryMarshal.Read<uint>(stat[20..]),
        MemoryMarshal.Read<uint>(stat[24..]),
        MemoryMarshal.Read<long>(stat[96..]),
        MemoryMarshal.Read<uint>(stat[104..]),
        MemoryMarshal.Read<long>(stat[112..]),
        MemoryMarshal.Read<uint>(stat[120..]),
        MemoryMarshal.Read<long>(stat[40..]));

    private enum FileType
    {
        Fifo = 0x1000,
        CharacterDevice = 0x2000,
        Directory = 0x4000,
        BlockDevice = 0x6000,
        Regular = 0x8000,
        Symlink = 0xA000,
        Socket = 0xC000,
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int folder, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint PRead(SafeFileHandle file, ref byte buffer, nuint count, long offset);
}
