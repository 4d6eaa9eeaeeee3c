using System.Globalization;
using MediaFleet.Library.Files;
using Microsoft.Win32.SafeHandles;

namespace MediaFleet.Node.Files;

/// <summary>
/// Keeps the copies of recently read small files open, so reading one again costs a statx of its path and the read
/// instead of open, statx, read and close: system calls cost microseconds each in a VM, and for a 4 KiB answer they are
/// most of the node's time. A kept handle is used only while its path still names the same file, unchanged since the
/// open (<see cref="CopyIdentity"/>: same device and inode, same mode, owner and change time, which moves on every
/// chmod, chown, rename and write), so a read gets what a fresh open would give; a copy deleted, replaced, mounted
/// over or made unreadable is opened anew and fails as it would have. What is left: a small file deleted through the
/// API keeps its blocks until its handle is pushed out by newer ones or the node stops.
/// </summary>
public sealed class OpenCopies : IDisposable
{
    /// <summary>Largest file kept open: the size the body reads in one piece; above it the open is a small part of the answer.</summary>
    public const long MaxFileBytes = 64 * 1024;

    /// <summary>Most handles kept when the open-file limit allows: nginx's usual open_file_cache max.</summary>
    public const int DefaultCapacity = 1000;

    private readonly Dictionary<string, Kept> _kept = new(StringComparer.Ordinal);
    private readonly Queue<Kept> _oldestFirst = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <param name="capacity">Most handles kept open at once; 0 keeps none.</param>
    public OpenCopies(int capacity) => Capacity = capacity;

    public int Capacity { get; }

    /// <summary>Handles kept open now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _kept.Count;
            }
        }
    }

    /// <summary>
    /// A quarter of the process's open-file limit, up to <see cref="DefaultCapacity"/>: connections and the catalog
    /// need descriptors too. None where copies are not identified (not Linux).
    /// </summary>
    public static int CapacityForThisProcess()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }
        var limit = OpenFileLimit(File.ReadAllText("/proc/self/limits"));
        return (int)Math.Min(DefaultCapacity, (limit ?? long.MaxValue) / 4);
    }

    /// <summary>The soft limit on open files in the text of /proc/self/limits; null when unlimited or not found.</summary>
    public static long? OpenFileLimit(string limits)
    {
        foreach (var line in limits.Split('\n'))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
            }
        }
        return null;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading as <see cref="CopyReader.Open"/> does, or lends the handle kept for it
    /// while the path still names that file unchanged. Dispose the lease when the read is done.
    /// </summary>
    public CopyLease Open(string path)
    {
        if (Lend(path) is { } kept)
        {
            if (CopyReader.Identify(path) == kept.Identity)
            {
                return new CopyLease(this, kept, new OpenedCopy(kept.Handle, kept.Identity.Size, null, "ok") { Identity = kept.Identity }, wasKept: true);
            }
            // Changed, gone or replaced since it was opened: forget it and answer as a first open would.
            Forget(kept);
            Return(kept);
        }
        var opened = CopyReader.Open(path);
        if (opened.Handle is not { } handle || opened.Length > MaxFileBytes || Capacity == 0)
        {
            return new CopyLease(null, null, opened, wasKept: false);
        }
        return new CopyLease(this, Keep(path, handle, opened.Identity), opened, wasKept: false);
    }

    /// <summary>Closes every kept handle (those lent out when their lease ends).</summary>
    public void Dispose()
    {
        List<Kept> all;
        lock (_gate)
        {
            _disposed = true;
            all = [.. _kept.Values];
        }
        foreach (var kept in all)
        {
            Forget(kept);
        }
    }

    /// <summary>Stops keeping a handle (its file changed, or its read failed); it closes when its last lease ends.</summary>
    internal void Forget(Kept kept)
    {
        bool close;
        lock (_gate)
        {
            close = Drop(kept);
        }
        if (close)
        {
            kept.Handle.Dispose();
        }
    }

    internal void Return(Kept kept)
    {
        bool close;
        lock (_gate)
        {
            kept.Lent--;
            close = kept.Forgotten && kept.Lent == 0;
        }
        if (close)
        {
            kept.Handle.Dispose();
        }
    }

    private Kept? Lend(string path)
    {
        lock (_gate)
        {
            if (!_kept.TryGetValue(path, out var kept))
            {
                return null;
            }
            kept.Lent++;
            return kept;
        }
    }

    /// <summary>Keeps a freshly opened handle, lent to its opener; the oldest kept one makes room when full.</summary>
    private Kept Keep(string path, SafeFileHandle handle, CopyIdentity identity)
    {
        var kept = new Kept(path, handle, identity) { Lent = 1 };
        Kept? closing = null;
        lock (_gate)
        {
            if (_disposed || _kept.ContainsKey(path))
            {
                // Shut down, or another request kept the same path first: this handle serves one read only.
                kept.Forgotten = true;
                return kept;
            }
            while (_kept.Count >= Capacity && _oldestFirst.TryDequeue(out var oldest))
            {
                // The queue also holds handles forgotten since they were kept; those are skipped.
                if (!oldest.Forgotten && Drop(oldest))
                {
                    closing = oldest;
                }
            }
            _kept.Add(path, kept);
            _oldestFirst.Enqueue(kept);
            if (_oldestFirst.Count > 2 * Capacity)
            {
                var live = _oldestFirst.Where(k => !k.Forgotten).ToList();
                _oldestFirst.Clear();
                foreach (var k in live)
                {
                    _oldestFirst.Enqueue(k);
                }
            }
        }
        closing?.Handle.Dispose();
        return kept;
    }

    /// <summary>Under the lock: no longer kept; true when nobody holds it, so the caller closes it.</summary>
    private bool Drop(Kept kept)
    {
        if (!kept.Forgotten && _kept.GetValueOrDefault(kept.Path) == kept)
        {
            _kept.Remove(kept.Path);
        }
        kept.Forgotten = true;
        return kept.Lent == 0;
    }

    /// <summary>A handle kept open for a path, with the identity of the file when it was opened.</summary>
    internal sealed class Kept(string path, SafeFileHandle handle, CopyIdentity identity)
    {
        public string Path { get; } = path;

        public SafeFileHandle Handle { get; } = handle;

        public CopyIdentity Identity { get; } = identity;

        /// <summary>Leases not yet ended; guarded by the owner's lock.</summary>
        public int Lent { get; set; }

        /// <summary>No longer kept: closed when the last lease ends; guarded by the owner's lock.</summary>
        public bool Forgotten { get; set; }
    }
}

/// <summary>A copy opened for one read: a kept handle lent by <see cref="OpenCopies"/>, or one of its own.</summary>
public readonly struct CopyLease : IDisposable
{
    private readonly OpenCopies? _owner;
    private readonly OpenCopies.Kept? _kept;

    internal CopyLease(OpenCopies? owner, OpenCopies.Kept? kept, OpenedCopy copy, bool wasKept)
    {
        _owner = owner;
        _kept = kept;
        Copy = copy;
        WasKept = wasKept;
    }

    /// <summary>The open copy (<see cref="OpenedCopy.Handle"/> set) or why it could not be opened.</summary>
    public OpenedCopy Copy { get; }

    /// <summary>Whether the handle was kept from an earlier read rather than opened for this one.</summary>
    public bool WasKept { get; }

    /// <summary>The read failed: the handle is not lent again.</summary>
    public void Forget()
    {
        if (_kept is not null)
        {
            _owner!.Forget(_kept);
        }
    }

    public void Dispose()
    {
        if (_kept is not null)
        {
            _owner!.Return(_kept);
        }
        else
        {
            Copy.Handle?.Dispose();
        }
    }
}
