using System.Buffers;
using System.Security.Cryptography;
using MediaFleet.Library.Digests;

namespace MediaFleet.Library.Store;

/// <summary>Thrown when a write would leave less free space than the node's reserve.</summary>
public sealed class InsufficientStorageException(string message) : IOException(message);

/// <summary>
/// Copies a stream into a new file with SHA-256 on the way, in constant memory: while one buffer is written
/// to disk the next is read and hashed, so the hash hides inside the copy.
/// </summary>
internal static class HashingCopier
{
    private const int BufferSize = 1 << 20;

    /// <summary>Bytes written between two early write-back requests: the disk works while the body still arrives.</summary>
    private const long WriteBackStep = 8L << 20;

    /// <summary>Copies all of <paramref name="source"/> into <paramref name="target"/>, which it flushes to disk.</summary>
    /// <param name="budget">Most bytes that may be written before the disk reserve is reached.</param>
    public static async Task<(Sha256Digest Digest, long Length)> CopyAsync(Stream source, FileStream target, long budget, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var current = ArrayPool<byte>.Shared.Rent(BufferSize);
        var other = ArrayPool<byte>.Shared.Rent(BufferSize);
        var pending = Task.CompletedTask;
        long length = 0;
        long writtenBack = 0;
        try
        {
            while (true)
            {
                var read = await source.ReadAtLeastAsync(current.AsMemory(0, BufferSize), BufferSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > budget)
                {
                    throw new InsufficientStorageException("the write would leave less free space than the node's reserve");
                }
                hash.AppendData(current, 0, read);
                await pending.ConfigureAwait(false);
                var written = length - read;
                if (written - writtenBack >= WriteBackStep)
                {
                    Durability.StartWriteBack(target.SafeFileHandle, writtenBack, written - writtenBack);
                    writtenBack = written;
                }
                pending = target.WriteAsync(current.AsMemory(0, read), cancellationToken).AsTask();
                (current, other) = (other, current);
                if (read < BufferSize)
                {
                    break;
                }
            }
            await pending.ConfigureAwait(false);
            target.Flush(flushToDisk: true);
            return (Sha256Digest.FromBytes(hash.GetHashAndReset()), length);
        }
        finally
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The write's own failure was already thrown or superseded; the buffers go back either way.
            }
            catch (OperationCanceledException)
            {
            }
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(other);
        }
    }
}
