using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace MediaFleet.Library.Digests;

/// <summary>
/// A SHA-256 digest: 32 bytes held inline (a catalog of a million files keeps a million of them in memory), spelled as
/// lowercase hex (<see cref="Hex"/>) for the catalog, the ETag and sha256sum.
/// </summary>
public readonly record struct Sha256Digest
{
    private const int ReadSize = 1 << 20;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private Sha256Digest(ReadOnlySpan<byte> hash)
    {
        _a = BinaryPrimitives.ReadUInt64BigEndian(hash);
        _b = BinaryPrimitives.ReadUInt64BigEndian(hash[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(hash[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(hash[24..]);
    }

    /// <summary>The lowercase hex spelling (made on each call: cache it where it is sent often).</summary>
    public string Hex
    {
        get
        {
            Span<byte> bytes = stackalloc byte[SHA256.HashSizeInBytes];
            CopyTo(bytes);
            return Convert.ToHexStringLower(bytes);
        }
    }

    /// <summary>Writes the 32 bytes of the digest into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public override string ToString() => Hex;

    /// <summary>The value of a <c>Repr-Digest</c> header (RFC 9530): <c>sha-256=:base64:</c>.</summary>
    public string ToHeaderValue()
    {
        Span<byte> bytes = stackalloc byte[SHA256.HashSizeInBytes];
        CopyTo(bytes);
        return $"sha-256=:{Convert.ToBase64String(bytes)}:";
    }

    public static Sha256Digest FromBytes(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("a SHA-256 digest is 32 bytes", nameof(hash));
        }
        return new Sha256Digest(hash);
    }

    public static bool TryParseHex(string? text, [NotNullWhen(true)] out Sha256Digest? digest)
    {
        digest = null;
        if (text is null || text.Length != SHA256.HashSizeInBytes * 2)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }
        Span<byte> bytes = stackalloc byte[SHA256.HashSizeInBytes];
        Convert.FromHexString(text, bytes, out _, out _);
        digest = new Sha256Digest(bytes);
        return true;
    }

    public static Sha256Digest ParseHex(string text) =>
        TryParseHex(text, out var digest) ? digest.Value : throw new FormatException($"'{text}' is not a SHA-256 hex digest");

    /// <summary>
    /// Hashes a whole regular file from disk; throws <see cref="FileNotFoundException"/> when it is absent and
    /// <see cref="IOException"/> when it cannot be read or is not a regular file (a FIFO is never opened blocking).
    /// </summary>
    public static async Task<Sha256Digest> OfFileAsync(string file, CancellationToken cancellationToken)
    {
        var opened = Files.CopyReader.Open(file);
        if (opened.Handle is not { } handle)
        {
            throw opened.Fault == Files.CopyFault.Absent ? new FileNotFoundException(opened.Detail, file) : new IOException($"{file}: {opened.Detail}");
        }
        using var owned = handle;
        return await OfOpenFileAsync(handle, opened.Length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Files up to this size are read in the calling thread: see <see cref="ReadAsync"/>.</summary>
    public const long ReadInPlaceUpTo = 64 << 10;

    /// <summary>
    /// A read of a file of <paramref name="length"/> bytes. A handle opened without async I/O (what Linux offers for
    /// files) runs each async read as a thread-pool work item; for a small file, most often in the page cache, that hop
    /// cost more than the read (a tenth of a follower's CPU keeping 100,000 files of 4 KiB), so it is read in place.
    /// </summary>
    public static ValueTask<int> ReadAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Memory<byte> buffer, long offset, long length, CancellationToken cancellationToken) =>
        length <= ReadInPlaceUpTo
            ? ValueTask.FromResult(RandomAccess.Read(handle, buffer.Span, offset))
            : RandomAccess.ReadAsync(handle, buffer, offset, cancellationToken);

    /// <summary>Hashes an open file from its start to its end; <paramref name="length"/> (its size when opened) sizes the buffer.</summary>
    public static async Task<Sha256Digest> OfOpenFileAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length, CancellationToken cancellationToken)
    {
        // 1 MiB reads: SHA256.HashDataAsync(stream) reads 4 KiB at a time, one thread-pool hop each on an async handle.
        // A small file gets a small buffer: renting 1 MiB for each of 100,000 files of 4 KiB cleared megabytes each.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var size = (int)Math.Clamp(length + 1, 4096, ReadSize);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            long offset = 0;
            int read;
            while ((read = await ReadAsync(handle, buffer.AsMemory(0, size), offset, length, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
            return FromBytes(hash.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
