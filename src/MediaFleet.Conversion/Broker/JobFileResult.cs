using MediaFleet.Hosting;
using MediaFleet.Library.Digests;

namespace MediaFleet.Conversion.Broker;

/// <summary>A job's input or output answered with Range, <c>ETag</c> and <c>Repr-Digest</c> (the node's file answer).</summary>
internal sealed class JobFileResult(string file, Sha256Digest digest, string contentType, string? downloadName) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous);
        if (downloadName is not null)
        {
            httpContext.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = downloadName, Inline = false }.ToString();
        }
        await new RangeFile(digest, stream.Length, contentType, File.GetLastWriteTimeUtc(file)).ServeAsync(httpContext, stream.SafeFileHandle).ConfigureAwait(false);
    }
}
