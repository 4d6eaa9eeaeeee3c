using System.Buffers;
using System.Text.Json;
using MediaFleet.Contracts.Files;
using MediaFleet.Contracts.Problems;
using MediaFleet.Hosting;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Files;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;

namespace MediaFleet.Node.Files;

/// <summary>
/// <c>POST /v1/bundle</c> (an addition to DESIGN.md section 4): many small files in one answer, for a follower that
/// provisions a library of small files. A GET per 4 KiB file costs both sides a request and a response, and that, not
/// the bytes, was most of the CPU of provisioning. Each file goes out as one JSON line (<see cref="BundlePartDto"/>)
/// followed by exactly its bytes, in the order asked; a file that cannot be sent gets a line with its problem instead.
/// </summary>
public static class BundleEndpoint
{
    /// <summary>Most files one request may name (its body stays small; the answer streams).</summary>
    public const int MaxFiles = 1000;

    public const string ContentType = "application/vnd.mediafleet.bundle";

    /// <summary>Bytes gathered in the response pipe before they are sent: many small files per write.</summary>
    private const int FlushBytes = 64 * 1024;

    private const int ReadSize = 64 * 1024;

    public static void MapBundle(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/bundle", SendAsync).RequireAccess(AccessLevel.Cluster);

    private static async Task SendAsync(HttpContext context, LibraryStore store, NodeMetrics metrics)
    {
        BundleRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync(ContractJson.Default.BundleRequest, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            request = null;
        }
        if (request?.Files is not { Count: > 0 and <= MaxFiles } files || files.Any(f => f?.Path is null || f.Sha256 is null))
        {
            await Problem.Of(ProblemTypes.InvalidRequest, $"the body must be JSON {{\"files\": [{{\"path\": PATH, \"sha256\": HEX}}, …]}} with 1 to {MaxFiles} files").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = ContentType;
        var body = context.Response.BodyWriter;
        using var line = new Utf8JsonWriter(body);
        var token = context.RequestAborted;
        var unflushed = new Unflushed();
        foreach (var item in files)
        {
            var (part, copy) = Open(store, item);
            using (copy.Handle)
            {
                line.Reset(body);
                JsonSerializer.Serialize(line, part, ContractJson.Default.BundlePartDto);
                line.Flush();
                body.Write("\n"u8);
                if (!await unflushed.AddAsync(body, line.BytesCommitted + 1, token).ConfigureAwait(false))
                {
                    return;
                }
                if (copy.Handle is not { } handle)
                {
                    continue;
                }
                switch (await CopyFileAsync(body, handle, copy.Length, unflushed, token).ConfigureAwait(false))
                {
                    case false:
                        // Part of a file may be out: the follower must see a broken answer, never a short file. It
                        // fetches what is left one by one, where a copy that cannot be read is quarantined as for any read.
                        context.Abort();
                        return;
                    case true:
                        return;
                }
                metrics.Served(copy.Length);
            }
        }
    }

    /// <summary>The line for one wanted file, and its copy opened when its bytes follow.</summary>
    private static (BundlePartDto Part, OpenedCopy Copy) Open(LibraryStore store, BundleItem item)
    {
        if (!LibraryPath.TryParse(item.Path, out var path, out var error))
        {
            return (new BundlePartDto(item.Path, Problem: ProblemTypes.InvalidPath, Detail: error), default);
        }
        var entry = store.Catalog.Find(path.Value);
        if (entry is null || entry.State != FileState.Ok)
        {
            return (new BundlePartDto(item.Path, Problem: ProblemTypes.NotFound, Detail: entry is null ? $"no file at {path}" : $"{path} is quarantined here"), default);
        }
        if (!Sha256Digest.TryParseHex(item.Sha256, out var wanted) || wanted != entry.Sha256)
        {
            return (new BundlePartDto(item.Path, Problem: ProblemTypes.PreconditionFailed, Detail: $"{path} holds {entry.Sha256.Hex} here"), default);
        }
        var copy = CopyReader.Open(store.Root.PhysicalPath(path));
        if (copy.Handle is not null && copy.Length != entry.Size)
        {
            copy.Handle.Dispose();
            return (new BundlePartDto(item.Path, Problem: ProblemTypes.NotFound, Detail: $"{path} has {copy.Length} bytes on disk, the catalog says {entry.Size}"), default);
        }
        if (copy.Handle is null)
        {
            return (new BundlePartDto(item.Path, Problem: ProblemTypes.NotFound, Detail: $"{path} cannot be read here: {copy.Detail}"), default);
        }
        return (new BundlePartDto(item.Path, entry.Sha256.Hex, entry.Size), copy);
    }

    /// <summary>
    /// Copies a whole file into the response pipe, sending whenever <see cref="FlushBytes"/> gathered (so a large file
    /// passes in constant memory too); reads are synchronous, from the page cache for the small files bundles are for.
    /// Null when every byte went out, else false (the file could not be read or ended early) or true (the client left).
    /// </summary>
    private static async Task<bool?> CopyFileAsync(System.IO.Pipelines.PipeWriter body, Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length, Unflushed unflushed, CancellationToken cancellationToken)
    {
        long offset = 0;
        while (offset < length)
        {
            var want = (int)Math.Min(length - offset, ReadSize);
            var memory = body.GetMemory(want)[..want];
            int read;
            try
            {
                read = CopyReader.Read(handle, memory.Span, offset);
            }
            catch (Exception e) when (CopyReader.IsReadFault(e))
            {
                return false;
            }
            if (read == 0)
            {
                return false;
            }
            body.Advance(read);
            offset += read;
            if (!await unflushed.AddAsync(body, read, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }
        return null;
    }

    /// <summary>Bytes written to the pipe and not yet sent.</summary>
    private sealed class Unflushed
    {
        private long _bytes;

        /// <summary>Counts <paramref name="bytes"/> and sends once enough gathered; false when the client is gone.</summary>
        public async ValueTask<bool> AddAsync(System.IO.Pipelines.PipeWriter body, long bytes, CancellationToken cancellationToken)
        {
            _bytes += bytes;
            if (_bytes < FlushBytes)
            {
                return true;
            }
            _bytes = 0;
            var flushed = await body.FlushAsync(cancellationToken).ConfigureAwait(false);
            return !flushed.IsCanceled && !flushed.IsCompleted;
        }
    }
}
