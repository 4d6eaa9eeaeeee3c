using MediaFleet.Contracts.Client;
using MediaFleet.Hosting.Transfers;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;

namespace MediaFleet.Node.Replication;

/// <summary>
/// Fetches one file from another node (the upstream, or any peer when healing) into the store's partial file for it,
/// through <see cref="ResumableDownload"/> guarded by If-Match; counts it in the node's metrics.
/// </summary>
internal static class PeerFetch
{
    /// <summary>
    /// Fetches the file with digest <paramref name="sha256"/> from <paramref name="http"/>'s node into its partial file,
    /// resuming when an earlier attempt left bytes, and at once when an attempt broke off after bringing some. A
    /// connection that delivers nothing for <paramref name="idle"/> (a silent NAT, a pulled cable) is given up.
    /// Returns the partial file, complete and verified; throws <see cref="TransferFailedException"/> with the reason
    /// (naming <paramref name="source"/>) otherwise.
    /// </summary>
    /// <param name="flushToDisk">False leaves the bytes in the page cache for an install that flushes its group at once.</param>
    public static async Task<string> FetchAsync(HttpClient http, string source, LibraryStore store, NodeMetrics metrics, LibraryPath path, Sha256Digest sha256, long? size,
        bool flushToDisk, TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
    {
        var request = new DownloadRequest
        {
            Url = new Uri(NodeClient.FileUri(path.Value), UriKind.Relative),
            PartialPath = store.PartialPath(sha256, path),
            Sha256 = sha256,
            Size = size,
            Source = source,
            // A newer version upstream answers 412 rather than bytes this change did not write.
            IfMatch = true,
            Budget = () => store.FreeBytes - store.ReserveBytes,
            Progress = p => metrics.Transferred(p.Chunk),
            Resumed = metrics.Resumed,
            FlushToDisk = flushToDisk,
        };
        try
        {
            // The partial stays the store's: it installs it (InstallVerifiedAsync, HealAsync) or keeps it for a retry.
            var file = await ResumableDownload.DownloadAsync(http, request, idle, time, cancellationToken).ConfigureAwait(false);
            metrics.Fetched();
            return file.TempPath;
        }
        catch (DownloadFailedException e)
        {
            throw new TransferFailedException(Reason(e, source, sha256), e);
        }
    }

    /// <summary>The <c>missing.reason</c> of a failed fetch, in the words the node has always used.</summary>
    private static string Reason(DownloadFailedException e, string source, Sha256Digest sha256) => e.Failure switch
    {
        DownloadFailure.InsufficientStorage => "disk below ReserveBytes",
        DownloadFailure.OtherVersion when e.StatusCode is System.Net.HttpStatusCode.PreconditionFailed => source + " holds another version of this path",
        DownloadFailure.DigestMismatch => $"digest mismatch: the bytes from {source} hash to {e.Received?.Hex}, the catalog says {sha256.Hex}",
        _ => e.Message,
    };
}
