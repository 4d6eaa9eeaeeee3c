using System.Runtime.InteropServices;

namespace MediaFleet.Library.Storage;

/// <summary>Which file system a path is on: a rename is atomic only within one (rename(2), EXDEV).</summary>
public static partial class FileSystems
{
    private const int AtFdCwd = -100;
    private const int StatxSize = 256; // sizeof(struct statx)

    /// <summary>The device of the file system that holds <paramref name="path"/> (symlinks followed), or null when it cannot be examined.</summary>
    public static ulong? DeviceOf(string path)
    {
        Span<byte> stat = stackalloc byte[StatxSize];
        // struct statx is the same on every architecture, and stx_dev_major (offset 136) and stx_dev_minor (140) are
        // filled whatever the mask asks for.
        return Statx(AtFdCwd, path, 0, 0, stat) == 0
            ? ((ulong)MemoryMarshal.Read<uint>(stat[136..]) << 32) | MemoryMarshal.Read<uint>(stat[140..])
            : null;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int folder, string path, int flags, uint mask, Span<byte> buffer);
}
