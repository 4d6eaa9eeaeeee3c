using System.Globalization;
using MediaFleet.Contracts.Problems;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Files;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Microsoft.Win32.SafeHandles;

namespace MediaFleet.Hosting;

/// <summary>
/// One file answered to GET and HEAD (DESIGN.md section 4): <c>ETag: "hex"</c>, <c>Repr-Digest</c>, <c>Accept-Ranges</c>,
/// <c>Last-Modified</c>, conditional requests (412, 304), one byte range (206, 416), and the body streamed from the open
/// file in constant memory. The node's file API and the broker's job output answer through it.
/// </summary>
/// <param name="digest">The SHA-256 of the whole file: its ETag and Repr-Digest.</param>
/// <param name="length">The file's length in bytes; the body never reads past it.</param>
/// <param name="contentType">The Content-Type of a 200 or 206.</param>
/// <param name="modified">The Last-Modified time; null sends none, and date conditions then never hold.</param>
public sealed class RangeFile(Sha256Digest digest, long length, string contentType, DateTimeOffset? modified = null)
{
    private const int SmallFile = 64 * 1024;
    private const int ChunkSize = 1024 * 1024;

    public Sha256Digest Digest { get; } = digest;

    public long Length { get; } = length;

    public string ContentType { get; } = contentType;

    public DateTimeOffset? Modified { get; } = modified;

    /// <summary><c>"hex"</c>. Settable so a caller that keeps the header values already (the node's catalog) does not format them per request.</summary>
    public string ETag { get => field ??= "\"" + Digest.Hex + "\""; init; }

    /// <summary><c>sha-256=:base64:</c> (RFC 9530).</summary>
    public string ReprDigest { get => field ??= Digest.ToHeaderValue(); init; }

    /// <summary>The IMF-fixdate of <see cref="Modified"/>, or null.</summary>
    public string? LastModified { get => field ??= Modified?.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture); init; }

    /// <summary>Answers a GET or HEAD in full from <paramref name="file"/>, opened for reading and at least <see cref="Length"/> bytes long.</summary>
    /// <exception cref="IOException">The file could not be read before any byte of the body was sent.</exception>
    public async Task ServeAsync(HttpContext context, SafeFileHandle file)
    {
        if (await BeginAsync(context).ConfigureAwait(false) is not { } part || HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        if (await SendBodyAsync(context, file, part).ConfigureAwait(false) is { } fault)
        {
            if (context.Response.HasStarted)
            {
                // Part of the body is out: the client must see a broken transfer, never a short "complete" one.
                context.Abort();
                return;
            }
            throw new IOException(fault);
        }
    }

    /// <summary>
    /// Writes the validators and answers in full what needs no byte of the file: 412 (If-Match), 304 (If-None-Match,
    /// If-Modified-Since) and 416. Otherwise sets 200, or 206 with Content-Range, and Content-Type and Content-Length,
    /// and returns the bytes the body carries (<see cref="RangeKind.Whole"/> from 0, or <see cref="RangeKind.Partial"/>);
    /// null when the answer is complete. Nothing is sent yet, so a caller whose file then fails to open may clear the
    /// headers and answer otherwise.
    /// </summary>
    public async ValueTask<ByteRange?> BeginAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var headers = response.Headers;
        headers.ETag = ETag;
        headers["Repr-Digest"] = ReprDigest;
        headers.AcceptRanges = "bytes";
        if (LastModified is { } lastModified)
        {
            headers.LastModified = lastModified;
        }

        var ifMatch = request.Headers.IfMatch;
        if (ifMatch.Count > 0 && !Matches(ifMatch, weak: false))
        {
            await Problem.Of(ProblemTypes.PreconditionFailed, "If-Match does not match the file").ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }
        var ifNoneMatch = request.Headers.IfNoneMatch;
        // RFC 9110 section 13.1.3: If-Modified-Since is ignored when If-None-Match is present.
        if (ifNoneMatch.Count > 0 ? Matches(ifNoneMatch, weak: true) : NotModifiedSince(request))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return null;
        }

        var range = IfRangeHolds(request) ? ByteRange.Parse(request.Headers.Range, Length) : ByteRange.Whole;
        if (range.Kind == RangeKind.Unsatisfiable)
        {
            headers.ContentRange = "bytes */" + Length.ToString(CultureInfo.InvariantCulture);
            await Problem.Of(ProblemTypes.InvalidRequest, $"the range is outside the file's {Length} bytes", StatusCodes.Status416RangeNotSatisfiable).ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }
        if (range.Kind == RangeKind.Partial)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {range.Start}-{range.End}/{Length}");
        }
        else
        {
            range = new ByteRange(RangeKind.Whole, 0, Length);
        }
        headers.ContentType = ContentType;
        response.ContentLength = range.Length;
        return range;
    }

    /// <summary>
    /// Streams <paramref name="part"/> of <paramref name="file"/> as the body through the response's pooled pipe
    /// buffers. Returns why the file could not be read (EIO, …, in <see cref="CopyReader.Unreadable"/>'s words), or
    /// null when every byte went out, the client left, or the file ended early (the connection is then aborted).
    /// </summary>
    public static async Task<string?> SendBodyAsync(HttpContext context, SafeFileHandle file, ByteRange part)
    {
        var writer = context.Response.BodyWriter;
        var token = context.RequestAborted;
        var offset = part.Start;
        var remaining = part.Length;
        while (remaining > 0)
        {
            var want = (int)Math.Min(remaining, remaining <= SmallFile ? SmallFile : ChunkSize);
            var memory = writer.GetMemory(want)[..want];
            int read;
            try
            {
                // Small reads are synchronous: a 4 KiB pread from the page cache is cheaper than a thread-pool hop.
                read = remaining <= SmallFile
                    ? CopyReader.Read(file, memory.Span, offset)
                    : await RandomAccess.ReadAsync(file, memory, offset, token).ConfigureAwait(false);
            }
            catch (Exception e) when (CopyReader.IsReadFault(e))
            {
                return CopyReader.Unreadable(e);
            }
            if (read == 0)
            {
                // The file shrank under us (changed by hand); the client sees a short body rather than garbage.
                context.Abort();
                return null;
            }
            writer.Advance(read);
            offset += read;
            remaining -= read;
            var flush = await writer.FlushAsync(token).ConfigureAwait(false);
            if (flush.IsCanceled || flush.IsCompleted)
            {
                return null;
            }
        }
        return null;
    }

    private bool Matches(StringValues values, bool weak)
    {
        foreach (var tag in EntityTags.Split(values))
        {
            if (tag == "*" || tag == ETag || (weak && tag.StartsWith("W/", StringComparison.Ordinal) && tag[2..] == ETag))
            {
                return true;
            }
        }
        return false;
    }

    private bool NotModifiedSince(HttpRequest request) =>
        Modified is { } modified
        && request.Headers.IfModifiedSince.Count > 0
        && HeaderUtilities.TryParseDate(request.Headers.IfModifiedSince.ToString(), out var since)
        && TruncateToSeconds(modified) <= since;

    /// <summary>RFC 9110 section 13.1.5: a range applies only if If-Range names the current file (strong ETag or exact date).</summary>
    private bool IfRangeHolds(HttpRequest request)
    {
        var ifRange = request.Headers.IfRange.ToString();
        if (ifRange.Length == 0)
        {
            return true;
        }
        if (ifRange.StartsWith('"'))
        {
            return ifRange == ETag;
        }
        return Modified is { } modified && HeaderUtilities.TryParseDate(ifRange, out var date) && date == TruncateToSeconds(modified);
    }

    // HTTP dates have whole seconds; the file's time has ticks.
    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), time.Offset);
}
