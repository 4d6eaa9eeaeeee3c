using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using MediaFleet.Contracts.Client;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;

namespace MediaFleet.Node.Replication;

/// <summary>
/// Fetches one file from another node (the upstream, or any peer when healing) into its partial file: resumable with
/// Range + If-Range, guarded by If-Match, hashed on the way; only bytes with the wanted digest are returned.
/// </summary>
internal static class PeerFetch
{
    /// <summary>
    /// Fetches the file with digest <paramref name="sha256"/> from <paramref name="http"/>'s node into its partial file,
    /// resuming when an earlier attempt left bytes. Returns the partial file, complete and verified; throws
    /// <see cref="TransferFailedException"/> with the reason (naming <paramref name="source"/>) otherwise.
    /// </summary>
    public static async Task<string> FetchAsync(HttpClient http, string source, LibraryStore store, NodeMetrics metrics, LibraryPath path, Sha256Digest sha256, long? size, CancellationToken cancellationToken)
    {
        if (!store.HasRoomFor(size))
        {
            throw new TransferFailedException("disk below ReserveBytes");
        }
        var partial = store.PartialPath(sha256, path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long have = 0;
        if (File.Exists(partial))
        {
            await using var existing = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await existing.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                have += read;
            }
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, NodeClient.FileUri(path.Value));
        var etag = new EntityTagHeaderValue("\"" + sha256.Hex + "\"");
        // If-Match: a newer version upstream answers 412 rather than bytes this change did not write.
        request.Headers.IfMatch.Add(etag);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
            request.Headers.IfRange = new RangeConditionHeaderValue(etag);
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new TransferFailedException(source + " unreachable: " + e.Message, e);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw new TransferFailedException(source + " holds another version of this path");
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                File.Delete(partial);
                throw new TransferFailedException(source + " refused the resume range; starting over next time");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new TransferFailedException($"{source} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (!resumed && have > 0)
            {
                hash.GetHashAndReset();
                have = 0;
            }
            if (resumed)
            {
                metrics.Resumed();
            }
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using var file = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                have += await HashingCopier.CopyAsync(body, file, store.FreeBytes - store.ReserveBytes, hash, metrics.Transferred, cancellationToken).ConfigureAwait(false);
            }
            catch (InsufficientStorageException)
            {
                throw new TransferFailedException("disk below ReserveBytes");
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // The bytes so far stay in the partial file: the next attempt resumes after them.
                throw new TransferFailedException("transfer interrupted after " + have.ToString(CultureInfo.InvariantCulture) + " bytes: " + e.Message, e);
            }
        }
        var digest = Sha256Digest.FromBytes(hash.GetHashAndReset());
        if (digest != sha256)
        {
            File.Delete(partial);
            throw new TransferFailedException($"digest mismatch: the bytes from {source} hash to {digest.Hex}, the catalog says {sha256.Hex}");
        }
        metrics.Fetched();
        return partial;
    }
}
