using MediaFleet.Contracts.Files;
using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Files;
using MediaFleet.Library.Paths;
using System.Threading.Channels;

namespace MediaFleet.Node.Replication;

/// <summary>Provisioning: a follower that starts empty, or whose changes were compacted away, takes the upstream's manifest.</summary>
public sealed partial class Follower
{
    /// <summary>
    /// Provisioning checks in flight of files small enough to be hashed in place (<see cref="Sha256Digest.ReadInPlaceUpTo"/>:
    /// one read from the page cache and a queued commit each): each check waits for the group commit that records it,
    /// so with 32 in flight the checks stopped while a group committed and the follower kept one core of two busy.
    /// </summary>
    private const int TinyFileChecks = 256;

    /// <summary>
    /// Provisioning: every file of the upstream's manifest, in parallel, checked while the manifest arrives; a file
    /// already on disk at its path with the same size is hashed and kept when the digest matches (an old rsync's work is
    /// not redone).
    /// </summary>
    private async Task ProvisionAsync(CancellationToken cancellationToken)
    {
        using var manifest = await upstream.OpenManifestAsync(cancellationToken).ConfigureAwait(false);
        var version = manifest.Version;
        // The upstream says how much is coming; one that does not is counted as its lines arrive.
        var expected = (int)(manifest.Files ?? 0);
        var expectedBytes = manifest.Bytes ?? 0;
        Log.ProvisionStarted(logger, upstream.BaseAddress.ToString(), expected, expectedBytes, version.Value);
        // Only a catalog that holds something can hold what the snapshot no longer does. (Counted, not FileCount: a
        // restarted follower that a 410 sends here has not loaded its file index yet.)
        var wanted = store.Catalog.MissingCount > 0 || store.Catalog.CountStoredFiles() > 0 ? new HashSet<string>(StringComparer.Ordinal) : null;
        var listed = 0;
        long listedBytes = 0;
        var done = 0;
        long doneBytes = 0;
        var lastReport = time.GetUtcNow();
        void Report(int count, long bytes) =>
            Log.ProvisionProgress(logger, count, Math.Max(expected, Volatile.Read(ref listed)), bytes, Math.Max(expectedBytes, Interlocked.Read(ref listedBytes)));
        void Counted(long size)
        {
            var count = Interlocked.Increment(ref done);
            var bytes = Interlocked.Add(ref doneBytes, size);
            var now = time.GetUtcNow();
            if (now - lastReport > TimeSpan.FromSeconds(2))
            {
                lastReport = now;
                Report(count, bytes);
            }
        }
        async ValueTask ProvisionCountedAsync(FileDto file, CancellationToken token)
        {
            if (await ProvisionOneAsync(file, token).ConfigureAwait(false) is { } transfer)
            {
                await PutAsync(transfer.Path, transfer.Sha256, transfer.Size, transfer.Version, token).ConfigureAwait(false);
            }
            Counted(file.Size);
        }
        // Small files: what is not on disk already goes in bundles (many files in one answer, installed as one group)
        // while the next ones are checked. Large files one by one, with their own number in flight.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var transfers = Channel.CreateBounded<WantedFile>(BundleFiles * BundlesInFlight);
        async ValueTask CheckSmallAsync(FileDto file, CancellationToken token)
        {
            if (await ProvisionOneAsync(file, token).ConfigureAwait(false) is { } transfer)
            {
                await transfers.Writer.WriteAsync(transfer, token).ConfigureAwait(false);
            }
            else
            {
                Counted(file.Size);
            }
        }
        var tiny = new ManifestShare(TinyFileChecks, CheckSmallAsync);
        var small = new ManifestShare(Parallelism(SmallFile), CheckSmallAsync);
        var large = new ManifestShare(options.TransferParallelism, ProvisionCountedAsync);
        async Task ReadManifestAsync()
        {
            try
            {
                await foreach (var file in manifest.ReadAsync(failed.Token).ConfigureAwait(false))
                {
                    wanted?.Add(file.Path);
                    Interlocked.Increment(ref listed);
                    Interlocked.Add(ref listedBytes, file.Size);
                    var share = file.Size <= Sha256Digest.ReadInPlaceUpTo ? tiny : file.Size <= SmallFile ? small : large;
                    await share.Files.Writer.WriteAsync(file, failed.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                foreach (var share in new[] { tiny, small, large })
                {
                    share.Files.Writer.TryComplete();
                }
            }
        }
        async Task CheckAllAsync()
        {
            try
            {
                await Task.WhenAll(new[] { tiny, small, large }.Select(share => Parallel.ForEachAsync(share.Files.Reader.ReadAllAsync(failed.Token),
                    new ParallelOptions { MaxDegreeOfParallelism = share.InFlight, CancellationToken = failed.Token }, share.CheckAsync))).ConfigureAwait(false);
            }
            finally
            {
                transfers.Writer.TryComplete();
            }
        }
        async Task BundleLoopAsync()
        {
            while (await transfers.Reader.WaitToReadAsync(failed.Token).ConfigureAwait(false))
            {
                var batch = new List<WantedFile>(BundleFiles);
                while (batch.Count < BundleFiles && transfers.Reader.TryRead(out var transfer))
                {
                    batch.Add(transfer);
                }
                await TransferManyAsync(batch, failed.Token).ConfigureAwait(false);
                foreach (var transfer in batch)
                {
                    Counted(transfer.Size);
                }
            }
        }
        async Task StopAllOnFailureAsync(Func<Task> work)
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch
            {
                // No part may wait for ever on a channel another part no longer reads or writes.
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }
        var bulk = await store.BeginBulkLoadAsync(expected, cancellationToken).ConfigureAwait(false);
        await using (bulk.ConfigureAwait(false))
        {
            await Task.WhenAll([
                StopAllOnFailureAsync(ReadManifestAsync),
                StopAllOnFailureAsync(CheckAllAsync),
                .. Enumerable.Range(0, BundlesInFlight).Select(_ => Task.Run(() => StopAllOnFailureAsync(BundleLoopAsync), cancellationToken))]).ConfigureAwait(false);
        }
        Report(done, doneBytes);

        if (wanted is not null)
        {
            foreach (var stale in store.Catalog.ListFiles().Where(f => !wanted.Contains(f.Path)))
            {
                await store.ApplyDeleteAsync(LibraryPath.Parse(stale.Path), version, cancellationToken).ConfigureAwait(false);
            }
            // Missing rows of paths the snapshot no longer holds were settled by changes this node will never see.
            foreach (var moot in store.Catalog.ListMissing().Where(m => !wanted.Contains(m.Path)))
            {
                await store.ForgetMissingAsync(moot.Path, cancellationToken).ConfigureAwait(false);
            }
        }
        var published = await store.ResetToSnapshotAsync(version, cancellationToken).ConfigureAwait(false);
        Log.ProvisionDone(logger, listed, published.Value, store.Catalog.MissingCount);
    }

    /// <summary>The manifest files of one size class, checked <see cref="InFlight"/> at a time as they arrive.</summary>
    private sealed class ManifestShare(int inFlight, Func<FileDto, CancellationToken, ValueTask> checkAsync)
    {
        /// <summary>Bounded, so a manifest that arrives faster than it is checked waits in the socket, not in memory.</summary>
        public Channel<FileDto> Files { get; } = Channel.CreateBounded<FileDto>(Math.Max(1024, inFlight * 4));

        public int InFlight => inFlight;

        public Func<FileDto, CancellationToken, ValueTask> CheckAsync => checkAsync;
    }

    /// <summary>
    /// Settles a manifest file that is here already (recorded, or on disk with the same size and digest, which is kept);
    /// returns the transfer it needs otherwise, null when it needs none (or its line is not valid).
    /// </summary>
    private async Task<WantedFile?> ProvisionOneAsync(FileDto file, CancellationToken cancellationToken)
    {
        if (!LibraryPath.TryParse(file.Path, out var path, out _) || !Sha256Digest.TryParseHex(file.Sha256, out var sha256))
        {
            return null;
        }
        var version = new DataVersion(file.Version);
        var current = store.Catalog.Find(file.Path);
        if (current?.Sha256 == sha256)
        {
            await store.KeepExistingAsync(path, sha256.Value, file.Size, version, cancellationToken).ConfigureAwait(false);
            return null;
        }
        if (await ExistingAsync(path, file.Size, cancellationToken).ConfigureAwait(false) is { } existing && existing.Sha256 == sha256)
        {
            await store.KeepExistingAsync(path, sha256.Value, file.Size, version, cancellationToken, existing.Modified).ConfigureAwait(false);
            metrics.Kept(file.Size);
            return null;
        }
        return new WantedFile(path, sha256.Value, file.Size, version);
    }

    /// <summary>
    /// The digest and modification time of a regular file already on disk with <paramref name="size"/> bytes, from one
    /// open and one statx; null when it is absent, another size, reached through a symlink that leads outside the
    /// library, or cannot be read (then it is simply fetched anew). The open comes first (it never blocks and reads
    /// nothing): a follower provisioning into an empty folder then pays one failed open per file, not the symlink
    /// rule's call per path component as well.
    /// </summary>
    private async Task<(Sha256Digest Sha256, DateTimeOffset Modified)?> ExistingAsync(LibraryPath path, long size, CancellationToken cancellationToken)
    {
        var opened = CopyReader.Open(store.Root.PhysicalPath(path));
        if (opened.Handle is not { } handle)
        {
            return null;
        }
        using (handle)
        {
            if (opened.Length != size || !store.Root.StaysInside(path))
            {
                return null;
            }
            try
            {
                var sha256 = await Sha256Digest.OfOpenFileAsync(handle, size, cancellationToken).ConfigureAwait(false);
                var identity = opened.Identity;
                var modified = identity == default
                    ? File.GetLastWriteTimeUtc(handle)
                    : DateTimeOffset.FromUnixTimeSeconds(identity.ModifiedSeconds).AddTicks(identity.ModifiedNanoseconds / 100);
                return (sha256, modified);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
