using MediaFleet.Contracts.Files;
using MediaFleet.Contracts.Problems;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Files;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Hosting;
using MediaFleet.Node.Configuration;
using MediaFleet.Node.Replication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Node.Files;

/// <summary>
/// <c>GET/HEAD/PUT/DELETE /files/{path}</c>. A terminal handler rather than routed endpoints: it must see the raw
/// target (so traversal attempts get 400, not a silent rewrite), and a read must cost no more than a dictionary
/// lookup and the bytes themselves.
/// </summary>
public sealed partial class FileHandler(LibraryStore store, AccessCheck access, NodeOptions options, NodeMetrics metrics, OpenCopies copies, TimeProvider time, ILogger<FileHandler> logger, Upstream? upstream = null)
{
    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "";
        var text = RequestTarget.DecodePath(rawTarget);
        var isRead = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        var isWrite = HttpMethods.IsPut(request.Method) || HttpMethods.IsDelete(request.Method);
        if (!isRead && !isWrite)
        {
            context.Response.Headers.Allow = "GET, HEAD, PUT, DELETE";
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        if (access.Check(request, isRead ? AccessLevel.Read : AccessLevel.Write) is { } denied)
        {
            await denied.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (!LibraryPath.TryParse(text, out var path, out var error))
        {
            metrics.Rejected();
            await Problem.Of(ProblemTypes.InvalidPath, text is null ? "the path is not valid UTF-8" : error).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (isRead)
        {
            await ReadAsync(context, path).ConfigureAwait(false);
        }
        else if (!options.Primary && options.Upstream is { } upstream)
        {
            // Writes reach only the primary; a follower sends them up its tree (DESIGN.md section 5).
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = upstream.TrimEnd('/') + rawTarget;
        }
        else if (HttpMethods.IsPut(request.Method))
        {
            await PutAsync(context, path).ConfigureAwait(false);
        }
        else
        {
            await DeleteAsync(context, path).ConfigureAwait(false);
        }
    }

    private async Task ReadAsync(HttpContext context, LibraryPath path)
    {
        var entry = store.Catalog.Find(path.Value);
        if (entry is { State: not FileState.Ok })
        {
            // A quarantined copy is never served: a follower streams the good one from upstream meanwhile.
            if (upstream is not null)
            {
                await upstream.ProxyAsync(context, path).ConfigureAwait(false);
                return;
            }
            await Problem.Of(ProblemTypes.NotFound, $"{path} failed its integrity check and is quarantined until it is healed").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (entry is null && upstream is not null && store.Catalog.FindMissing(path.Value) is not null)
        {
            // Read-through: a follower streams what it still lacks from its upstream rather than answering 404.
            await upstream.ProxyAsync(context, path).ConfigureAwait(false);
            return;
        }
        if (entry is null)
        {
            // Only a miss pays for the symlink walk: a catalogued path was checked when it was written.
            await (store.Root.StaysInside(path)
                ? Problem.Of(ProblemTypes.NotFound, $"no file at {path}")
                : Problem.Of(ProblemTypes.InvalidPath, "the path leads outside the library through a symlink")).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        var file = new RangeFile(entry.Sha256, entry.Size, ContentTypes.Of(path.Value), entry.Modified)
        {
            // The catalog entry keeps these formatted: a read stays a lookup and the bytes.
            ETag = entry.ETag,
            ReprDigest = entry.ReprDigest,
            LastModified = entry.LastModified,
        };
        // 304, 412 and 416 are answered from the catalog alone, before the copy is opened.
        if (await file.BeginAsync(context).ConfigureAwait(false) is not { } part)
        {
            return;
        }
        using (var copy = copies.Open(store.Root.PhysicalPath(path)))
        {
            var opened = copy.Copy;
            if (opened.Handle is not { } handle)
            {
                await (opened.Fault == CopyFault.Absent ? AbsentAsync(context, path) : UnreadableAsync(context, path, entry, opened.Detail)).ConfigureAwait(false);
                return;
            }
            if (HttpMethods.IsHead(context.Request.Method))
            {
                return;
            }
            if (await RangeFile.SendBodyAsync(context, handle, part).ConfigureAwait(false) is { } fault)
            {
                copy.Forget();
                if (context.Response.HasStarted)
                {
                    // Part of the body is out: the client must see a broken transfer, never a short "complete" one.
                    await store.QuarantineAsync(entry, fault, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
                    context.Abort();
                }
                else
                {
                    await UnreadableAsync(context, path, entry, fault).ConfigureAwait(false);
                }
                return;
            }
        }
        metrics.Served(part.Length);
    }

    private Task AbsentAsync(HttpContext context, LibraryPath path)
    {
        Log.CatalogedFileAbsent(logger, path.Value);
        context.Response.Headers.Clear();
        return Problem.Of(ProblemTypes.NotFound, $"{path} is in the catalog but not on disk").ExecuteAsync(context);
    }

    /// <summary>
    /// A copy that cannot be read is a bad copy (DESIGN.md section 7): it is marked corrupt and listed for the healer,
    /// and this read is answered as for any quarantined copy: a follower streams it from upstream, else not-found.
    /// </summary>
    private async Task UnreadableAsync(HttpContext context, LibraryPath path, FileEntry entry, string fault)
    {
        await store.QuarantineAsync(entry, fault, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        context.Response.Headers.Clear();
        context.Response.StatusCode = StatusCodes.Status200OK;
        if (upstream is not null)
        {
            await upstream.ProxyAsync(context, path).ConfigureAwait(false);
            return;
        }
        await Problem.Of(ProblemTypes.NotFound, $"{path} cannot be read here ({fault}); it is marked corrupt until it is healed").ExecuteAsync(context).ConfigureAwait(false);
    }

    private async Task PutAsync(HttpContext context, LibraryPath path)
    {
        var request = context.Request;
        var status = DigestFields.TryGetSha256(DigestField(request.Headers), out var digest);
        if (status == DigestFieldStatus.Malformed)
        {
            await Problem.Of(ProblemTypes.InvalidRequest, "Repr-Digest/Content-Digest must be sha-256=:<base64 of 32 bytes>:").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        var condition = new WriteCondition(
            request.Headers.IfNoneMatch.Any(v => v?.Trim() == "*"),
            request.Headers.IfMatch.Count > 0 ? EntityTags.Split(request.Headers.IfMatch) : null);

        WriteResult result;
        try
        {
            var expected = new ExpectedDigest(status == DigestFieldStatus.Found ? digest : null, () => TrailerDigest(request));
            result = await store.PutAsync(path, request.Body, expected, request.ContentLength, condition, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // The body ended early or broke the protocol; the store has already removed its temp file.
            Log.UploadBroken(logger, path.Value, e.Message);
            await Problem.Of(ProblemTypes.InvalidRequest, "the upload was truncated: " + e.Message).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            Log.UploadBroken(logger, path.Value, "client disconnected");
            return;
        }
        if (!result.Succeeded)
        {
            await WriteFailureAsync(context, result).ConfigureAwait(false);
            return;
        }
        var entry = result.Entry!;
        metrics.Stored(entry.Size, result.Status);
        context.Response.Headers.ETag = entry.ETag;
        context.Response.StatusCode = result.Status == WriteStatus.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        await context.Response.WriteAsJsonAsync(new FileDto(entry.Path, entry.Sha256.Hex, entry.Size, entry.Version.Value), ContractJson.Default.FileDto, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The sha-256 digest field of a header or trailer block: <c>Repr-Digest</c>, else <c>Content-Digest</c>.</summary>
    private static string DigestField(IHeaderDictionary fields)
    {
        var field = fields["Repr-Digest"].ToString();
        return string.IsNullOrEmpty(field) ? fields["Content-Digest"].ToString() : field;
    }

    /// <summary>
    /// A digest sent after the body as a trailer field (RFC 9530 section 4; RFC 9112 section 7.1.2 for HTTP/1.1, where
    /// only a chunked body has trailers), read once the body is in. One that <c>Trailer</c> announced and that does not
    /// come is refused: the client chose to be checked after the body, and without the digest it cannot be.
    /// </summary>
    private static LateDigest TrailerDigest(HttpRequest request)
    {
        var announced = request.GetDeclaredTrailers().SelectMany(v => (v ?? "").Split(','))
            .Any(name => name.Trim() is var n && (n.Equals("Repr-Digest", StringComparison.OrdinalIgnoreCase) || n.Equals("Content-Digest", StringComparison.OrdinalIgnoreCase)));
        var trailers = request.HttpContext.Features.Get<IHttpRequestTrailersFeature>();
        var field = trailers is { Available: true } ? DigestField(trailers.Trailers) : "";
        return DigestFields.TryGetSha256(field, out var digest) switch
        {
            DigestFieldStatus.Found => new LateDigest(digest),
            DigestFieldStatus.Malformed => LateDigest.Refused("the digest trailer must be sha-256=:<base64 of 32 bytes>:"),
            _ when announced => LateDigest.Refused("the digest trailer announced in Trailer did not arrive (trailers need a chunked body)"),
            _ => LateDigest.None,
        };
    }

    private async Task DeleteAsync(HttpContext context, LibraryPath path)
    {
        var ifMatch = context.Request.Headers.IfMatch;
        var result = await store.DeleteAsync(path, new WriteCondition(false, ifMatch.Count > 0 ? EntityTags.Split(ifMatch) : null), context.RequestAborted).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            await WriteFailureAsync(context, result, path).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>The problem answer of a failed write.</summary>
    public static Task WriteFailureAsync(HttpContext context, WriteResult result, LibraryPath? path = null) => (result.Status switch
    {
        WriteStatus.NotFound => Problem.Of(ProblemTypes.NotFound, $"no file at {path}"),
        WriteStatus.InvalidPath => Problem.Of(ProblemTypes.InvalidPath, result.Detail ?? "invalid path"),
        WriteStatus.DigestMismatch => Problem.Of(ProblemTypes.DigestMismatch, result.Detail ?? "digest mismatch"),
        WriteStatus.DigestMissing => Problem.Of(ProblemTypes.InvalidRequest, result.Detail ?? "the announced digest did not arrive"),
        WriteStatus.PreconditionFailed => Problem.Of(ProblemTypes.PreconditionFailed, result.Detail ?? "precondition failed"),
        WriteStatus.InsufficientStorage => Problem.Of(ProblemTypes.InsufficientStorage, result.Detail ?? "not enough free space"),
        _ => Problem.Of(ProblemTypes.InvalidRequest, result.Detail ?? "the upload was incomplete"),
    }).ExecuteAsync(context);
}
