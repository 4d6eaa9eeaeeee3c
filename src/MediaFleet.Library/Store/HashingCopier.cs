using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MediaFleet.Library.Digests;

namespace MediaFleet.Library.Store;

/// <summary>Thrown when a write would leave less free space than the node's reserve.</summary>
public sealed class InsufficientStorageException : IOException
{
    public InsufficientStorageException(string message) : base(message)
    {
    }

    /// <summary>The disk itself ran out (ENOSPC, EDQUOT): <paramref name="inner"/> is the write's own failure.</summary>
    public InsufficientStorageException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>
/// Copies a stream into a new file with SHA-256 on the way, in constant memory: while one buffer is written
/// to disk the next is read and hashed, so the hash hides inside the copy.
/// </summary>
public static class HashingCopier
{
    private const int BufferSize = 1 << 20;

    /// <summary>Sources up to this size are copied through one small buffer; a multiple of <see cref="DirectAlignment"/>.</summary>
    private const int SmallSize = 64 << 10;

    /// <summary>Bytes written between two early write-back requests: the disk works while the body still arrives.</summary>
    private const long WriteBackStep = 8L << 20;

    /// <summary>O_DIRECT wants memory, offsets and lengths aligned to the logical block size; 4 KiB covers all common disks.</summary>
    private const int DirectAlignment = 4096;

    /// <summary>A few pinned buffers kept between uploads, so a small PUT does not allocate 2 MiB.</summary>
    private static readonly ConcurrentBag<byte[]> SpareBuffers = [];

    /// <summary>Copies all of <paramref name="source"/> into <paramref name="target"/>, which it flushes to disk.</summary>
    /// <param name="budget">Most bytes that may be written before the disk reserve is reached.</param>
    public static async Task<(Sha256Digest Digest, long Length)> CopyAsync(Stream source, FileStream target, long budget, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var length = await CopyAsync(source, target, budget, hash, null, cancellationToken).ConfigureAwait(false);
        return (Sha256Digest.FromBytes(hash.GetHashAndReset()), length);
    }

    /// <summary>
    /// Appends all of <paramref name="source"/> to <paramref name="target"/> at its position, feeding
    /// <paramref name="hash"/> (which may already hold the bytes before, for a resumed transfer), and flushes it to
    /// disk; <paramref name="written"/> hears of every chunk on disk. Returns the bytes copied. When the source fails
    /// mid-chunk, the bytes that did arrive are written and hashed before the failure is rethrown, so a resumed
    /// transfer goes on from the last byte received, not from the last whole buffer.
    /// </summary>
    /// <param name="flushToDisk">
    /// False leaves the bytes in the page cache for a caller that makes a whole batch durable at once
    /// (<see cref="Durability.SyncFileSystem"/>) before anything points at them.
    /// </param>
    public static async Task<long> CopyAsync(Stream source, FileStream target, long budget, IncrementalHash hash, Action<int>? written, CancellationToken cancellationToken, bool flushToDisk = true)
    {
        // A library of artwork, subtitles and music is mostly files of a few KiB, many in flight at once: they take one
        // small pooled buffer, not the 2 MiB of pinned buffers of the double-buffered copy below.
        var small = ArrayPool<byte>.Shared.Rent(SmallSize);
        try
        {
            var (read, failure) = await FillAsync(source, small.AsMemory(0, SmallSize), cancellationToken).ConfigureAwait(false);
            if (read > budget)
            {
                throw new InsufficientStorageException("the write would leave less free space than the node's reserve");
            }
            hash.AppendData(small, 0, read);
            await target.WriteAsync(small.AsMemory(0, read), CancellationToken.None).ConfigureAwait(false);
            if (read > 0)
            {
                written?.Invoke(read);
            }
            failure?.Throw();
            if (read < SmallSize)
            {
                target.Flush(flushToDisk);
                return read;
            }
            // A larger source: the rest follows at a block-aligned offset, so it can still bypass the page cache.
            return read + await CopyLargeAsync(source, target, budget - read, hash, written, flushToDisk, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(small);
        }
    }

    private static async Task<long> CopyLargeAsync(Stream source, FileStream target, long budget, IncrementalHash hash, Action<int>? written, bool flushToDisk, CancellationToken cancellationToken)
    {
        var (currentArray, current) = Rent();
        var (otherArray, other) = Rent();
        var start = target.Position;
        // Bypassing the page cache (O_DIRECT) saves a copy of every byte into it, which costs more CPU than the
        // disk write itself on a fast disk; where the file system refuses, or a resumed file ends mid-block, the
        // copy stays buffered.
        var direct = start % DirectAlignment == 0 && Durability.TrySetDirectIo(target.SafeFileHandle, enable: true);
        var pending = Task.CompletedTask;
        long length = 0;
        long writtenBack = start;
        var previous = 0;
        try
        {
            while (true)
            {
                var (read, failure) = await FillAsync(source, current, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > budget)
                {
                    throw new InsufficientStorageException("the write would leave less free space than the node's reserve");
                }
                hash.AppendData(current.Span[..read]);
                await pending.ConfigureAwait(false);
                if (previous > 0)
                {
                    written?.Invoke(previous);
                }
                previous = read;
                var done = start + length - read;
                if (!direct && done - writtenBack >= WriteBackStep)
                {
                    Durability.StartWriteBack(target.SafeFileHandle, writtenBack, done - writtenBack);
                    writtenBack = done;
                }
                var whole = read - (read % DirectAlignment);
                if (direct && whole != read)
                {
                    // Only the last chunk can end in a partial block; that tail goes through the page cache.
                    await target.WriteAsync(current[..whole], CancellationToken.None).ConfigureAwait(false);
                    direct = !Durability.TrySetDirectIo(target.SafeFileHandle, enable: false);
                    pending = target.WriteAsync(current[whole..read], CancellationToken.None).AsTask();
                }
                else
                {
                    // Not cancellable: a chunk that was read is kept (a stalled or cancelled transfer resumes after it).
                    pending = target.WriteAsync(current[..read], CancellationToken.None).AsTask();
                }
                (current, other) = (other, current);
                if (failure is not null)
                {
                    await pending.ConfigureAwait(false);
                    written?.Invoke(read);
                    previous = 0;
                    failure.Throw();
                }
                if (read < BufferSize)
                {
                    break;
                }
            }
            await pending.ConfigureAwait(false);
            if (previous > 0)
            {
                written?.Invoke(previous);
                previous = 0;
            }
            target.Flush(flushToDisk);
            return length;
        }
        finally
        {
            try
            {
                await pending.ConfigureAwait(false);
                // A copy broken off by its source still has its last chunk on disk: count it.
                if (previous > 0)
                {
                    written?.Invoke(previous);
                }
            }
            catch (IOException)
            {
                // The write's own failure was already thrown or superseded; the buffers go back either way.
            }
            catch (OperationCanceledException)
            {
            }
            Return(currentArray);
            Return(otherArray);
        }
    }

    /// <summary>
    /// Reads until <paramref name="buffer"/> is full or the source ends. A failure after some bytes arrived is handed
    /// back with them, so the caller keeps what it received before rethrowing; a failure before any byte throws.
    /// </summary>
    private static async ValueTask<(int Read, ExceptionDispatchInfo? Failure)> FillAsync(Stream source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        try
        {
            while (read < buffer.Length)
            {
                var n = await source.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                read += n;
            }
            return (read, null);
        }
        catch (Exception e) when (read > 0)
        {
            return (read, ExceptionDispatchInfo.Capture(e));
        }
    }

    /// <summary>A pinned array and its 4 KiB-aligned window of <see cref="BufferSize"/> bytes.</summary>
    private static (byte[] Array, Memory<byte> Window) Rent()
    {
        if (!SpareBuffers.TryTake(out var array))
        {
            array = GC.AllocateUninitializedArray<byte>(BufferSize + DirectAlignment, pinned: true);
        }
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0).ToInt64();
        var skip = (int)((DirectAlignment - (address % DirectAlignment)) % DirectAlignment);
        return (array, array.AsMemory(skip, BufferSize));
    }

    private static void Return(byte[] array)
    {
        if (SpareBuffers.Count < 8)
        {
            SpareBuffers.Add(array);
        }
    }
}
