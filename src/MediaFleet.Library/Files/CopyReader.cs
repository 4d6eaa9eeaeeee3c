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
public readonly record struct OpenedCopy(SafeFileHandle? Handle, long Length, CopyFault? Fault, string Detail);

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
        if (Statx(fd, "", EmptyPath, TypeAndSize, stat) != 0)
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
        return new OpenedCopy(handle, (long)MemoryMarshal.Read<ulong>(stat[40..]), null, "ok");
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
