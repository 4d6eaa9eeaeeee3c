using System.Net;
using MediaFleet.Library.Digests;

namespace MediaFleet.Hosting.Transfers;

/// <summary>What <see cref="ResumableDownload"/> fetches, where it keeps the bytes, and whom it tells about them.</summary>
public sealed record DownloadRequest
{
    /// <summary>The resource: absolute, or relative to the client's <see cref="HttpClient.BaseAddress"/>.</summary>
    public required Uri Url { get; init; }

    /// <summary>
    /// The partial file the download owns: bytes left there by an earlier call with the same <see cref="Sha256"/> are
    /// resumed after; it is deleted when its bytes prove wrong.
    /// </summary>
    public required string PartialPath { get; init; }

    /// <summary>
    /// The digest the bytes must have. Null: taken from the first response's <c>Repr-Digest</c> (sha-256, RFC 9530),
    /// and a partial file left by an earlier call, which nothing can vouch for then, is started over.
    /// </summary>
    public Sha256Digest? Sha256 { get; init; }

    /// <summary>The size when known: checked against <see cref="Budget"/> before each attempt, and the progress total.</summary>
    public long? Size { get; init; }

    /// <summary>Who serves it, as failure messages name it ("upstream", a node id); default: the URL's authority.</summary>
    public string? Source { get; init; }

    /// <summary>
    /// Sends <c>If-Match</c> with the digest's ETag, so a server holding another version answers 412 instead of its
    /// bytes. Only for servers whose ETag is the quoted SHA-256 hex (every MediaFleet role, DESIGN.md section 4).
    /// </summary>
    public bool IfMatch { get; init; }

    /// <summary>Most bytes that may still be written (free space less a reserve), asked before each attempt; null: no limit.</summary>
    public Func<long>? Budget { get; init; }

    /// <summary>Hears of every chunk on disk (and once at the start of each body with <c>Chunk</c> 0).</summary>
    public Action<DownloadProgress>? Progress { get; init; }

    /// <summary>Headers every attempt carries besides the range (a worker's lease token).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>Hears of each attempt that the server let resume (206).</summary>
    public Action? Resumed { get; init; }

    /// <summary>
    /// Whether the finished file is fsynced (the default). False only for a caller that makes it durable itself before
    /// anything points at it, e.g. with one <c>syncfs</c> for a batch of small files.
    /// </summary>
    public bool FlushToDisk { get; init; } = true;
}

/// <summary>A download's progress: <paramref name="Received"/> bytes are in the partial file of <paramref name="Total"/> (null: unknown), <paramref name="Chunk"/> of them just now.</summary>
public readonly record struct DownloadProgress(long Received, long? Total, int Chunk);

/// <summary>Why a download gave up.</summary>
public enum DownloadFailure
{
    /// <summary>The server could not be reached (refused, reset before an answer, DNS).</summary>
    Unreachable,

    /// <summary>No answer within the idle timeout.</summary>
    Silent,

    /// <summary>A status other than 200/206 (see <see cref="DownloadFailedException.StatusCode"/>).</summary>
    Refused,

    /// <summary>The server holds another version: 412 to <c>If-Match</c>, or a <c>Repr-Digest</c> other than expected.</summary>
    OtherVersion,

    /// <summary>The server refused the resume range (416) or answered another one; the partial file was deleted.</summary>
    RangeRefused,

    /// <summary>No digest was given and the response has no sha-256 <c>Repr-Digest</c>.</summary>
    NoDigest,

    /// <summary>The body broke off or went silent; the bytes received are kept in the partial file for the next call.</summary>
    Interrupted,

    /// <summary>The whole body does not hash to the digest; the partial file was deleted.</summary>
    DigestMismatch,

    /// <summary>The file would not fit in <see cref="DownloadRequest.Budget"/>.</summary>
    InsufficientStorage,

    /// <summary>The disk filled up during the write; the partial file was deleted to give the space back.</summary>
    DiskFull,
}

/// <summary>A download that gave up; the message names the source and the cause.</summary>
public sealed class DownloadFailedException(DownloadFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public DownloadFailure Failure { get; } = failure;

    /// <summary>The server's status, for <see cref="DownloadFailure.Refused"/> and a 412 or 416.</summary>
    public HttpStatusCode? StatusCode { get; init; }

    /// <summary>For <see cref="DownloadFailure.Interrupted"/>: the attempt kept new bytes, so resuming at once is worth it.</summary>
    public bool Progressed { get; init; }

    /// <summary>For <see cref="DownloadFailure.DigestMismatch"/>: what the bytes hashed to.</summary>
    public Sha256Digest? Received { get; init; }

    /// <summary>The digest the bytes had to have, when known.</summary>
    public Sha256Digest? Expected { get; init; }
}
