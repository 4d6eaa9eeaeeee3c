using System.Runtime.InteropServices;

namespace MediaFleet.Library.Paths;

/// <summary>What a path names, as far as the symlink rule cares.</summary>
internal enum LinkKind
{
    /// <summary>A file or folder that is not a symbolic link.</summary>
    NotLink,
    Link,
    /// <summary>Nothing (or nothing this process may look at).</summary>
    Absent,
}

/// <summary>
/// One readlink(2) per path component: it answers EINVAL for a plain file or folder and ENOENT for nothing, where
/// .NET's <see cref="FileSystemInfo.Attributes"/> costs an lstat and a geteuid, and its link APIs throw for a path
/// that does not exist (every path of a follower provisioning into an empty folder).
/// </summary>
internal static partial class SymbolicLinks
{
    private const int Einval = 22;

    public static LinkKind Probe(string path)
    {
        Span<byte> first = stackalloc byte[1];
        if (ReadLink(path, first, 1) >= 0)
        {
            return LinkKind.Link;
        }
        return Marshal.GetLastPInvokeError() == Einval ? LinkKind.NotLink : LinkKind.Absent;
    }

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadLink(string path, Span<byte> buffer, nint size);
}
