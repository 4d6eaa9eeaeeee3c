using System.Buffers;
using System.IO.Pipelines;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using MediaFleet.Contracts.Files;
using MediaFleet.Hosting.Transfers;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Node.Files;

namespace MediaFleet.Node.Replication;

/// <summary>A file a follower wants from its upstream with its digest, size and version.</summary>
public sealed record WantedFile(LibraryPath Path, Sha256Digest Sha256, long Size, DataVersion Version);

/// <summary>
/// The files of one bundle that arrived whole with the wanted digest, each in its own file of the bundle's folder under
/// <c>.mfleet/tmp</c>; disposing it removes the folder and what is still in it (start-up recovery removes a folder a
/// crash left).
/// </summary>
public sealed class BundleDownload(string folder, IReadOnlyList<VerifiedTransfer> files) : IDisposable
{
    public IReadOnlyList<VerifiedTransfer> Files { get; } = files;

    public void Dispose()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>
/// Fetches many small files in one <c>POST /v1/bundle</c> answer into their partial files, hashing each on the way. What
/// did not arrive whole and verified (a problem line, a digest mismatch, a broken or silent connection, a full disk) is
/// left for the caller to fetch one by one, where its failure is recorded as for any transfer.
/// </summary>
internal static class BundleFetch
{
    /// <summary>Longest line accepted before a file's bytes (a path is at most 1024 bytes).</summary>
    private const int MaxLine = 16 * 1024;

    /// <remarks>
    /// A bundle writes into a folder of its own: creating files in the one temp folder while the installs of the previous
    /// bundle rename others out of it made both wait on the folder's lock (a sixth of the follower's CPU was spent
    /// spinning on it).
    /// </remarks>
    public static async Task<BundleDownload> FetchAsync(HttpClient http, LibraryStore store, NodeMetrics metrics, IReadOnlyList<WantedFile> wanted,
        TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
    {
        var arrived = new List<VerifiedTransfer>(wanted.Count);
        var folder = Path.Combine(store.Root.TempFolder, "bundle-" + Path.GetRandomFileName());
        var download = new BundleDownload(folder, arrived);
        if (!store.HasRoomFor(wanted.Sum(w => w.Size)))
        {
            return download;
        }
        Directory.CreateDirectory(folder);
        using var silence = new CancellationTokenSource(idle, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, silence.Token);
        var body = new BundleRequest([.. wanted.Select(w => new BundleItem(w.Path.Value, w.Sha256.Hex))]);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/bundle") { Content = JsonContent.Create(body, ContractJson.Default.BundleRequest) };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != BundleEndpoint.ContentType)
            {
                // An upstream of an older build, or one that refuses: every file goes the single way.
                return download;
            }
            metrics.Bundle();
            await using var stream = new IdleTimeoutStream(await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false), silence, idle);
            var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
            try
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                for (var i = 0; i < wanted.Count; i++)
                {
                    var want = wanted[i];
                    var part = await ReadLineAsync(reader, linked.Token).ConfigureAwait(false);
                    if (part is null || part.Path != want.Path.Value)
                    {
                        break;
                    }
                    if (part.Problem is not null || part.Size is not { } size || size < 0)
                    {
                        continue;
                    }
                    var partial = Path.Combine(folder, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (await ReceiveAsync(reader, partial, size, hash, linked.Token).ConfigureAwait(false) is not { } modified)
                    {
                        break;
                    }
                    if (size == want.Size && Sha256Digest.FromBytes(hash.GetHashAndReset()) == want.Sha256)
                    {
                        metrics.Transferred((int)Math.Min(size, int.MaxValue));
                        metrics.Fetched();
                        arrived.Add(new VerifiedTransfer(want.Path, partial, want.Sha256, size, want.Version, modified));
                    }
                    else
                    {
                        hash.GetHashAndReset();
                        File.Delete(partial);
                    }
                }
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException
                                  || e is OperationCanceledException && silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // What arrived whole stays; the rest is fetched one by one, which reports the failure if it lasts.
        }
        return download;
    }

    /// <summary>The next line as a part, or null when the answer ended or the line is not one.</summary>
    private static async Task<BundlePartDto?> ReadLineAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = buffer.Slice(0, end);
                var json = new Utf8JsonReader(line);
                var part = JsonSerializer.Deserialize(ref json, ContractJson.Default.BundlePartDto);
                reader.AdvanceTo(buffer.GetPosition(1, end));
                return part;
            }
            if (result.IsCompleted || buffer.Length > MaxLine)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Writes the next <paramref name="size"/> bytes of the answer to <paramref name="partial"/> (created anew), feeding
    /// <paramref name="hash"/>; returns the file's modification time (an fstat, not a path lookup after the install), or
    /// null when the answer ended first (the partial is then deleted).
    /// </summary>
    private static async Task<DateTimeOffset?> ReceiveAsync(PipeReader reader, string partial, long size, IncrementalHash hash, CancellationToken cancellationToken)
    {
        using var file = File.OpenHandle(partial, FileMode.Create, FileAccess.Write, FileShare.None);
        long offset = 0;
        while (offset < size)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var take = buffer.Slice(0, Math.Min(buffer.Length, size - offset));
            foreach (var segment in take)
            {
                RandomAccess.Write(file, segment.Span, offset);
                hash.AppendData(segment.Span);
                offset += segment.Length;
            }
            reader.AdvanceTo(take.End);
            if (offset < size && result.IsCompleted)
            {
                file.Dispose();
                File.Delete(partial);
                return null;
            }
        }
        return File.GetLastWriteTimeUtc(file);
    }
}
