using Microsoft.Data.Sqlite;

namespace MediaFleet.Library.Store;

public sealed partial class LibraryStore
{
    /// <summary>A bulk load of fewer new files keeps the digest index: rebuilding it would cost more than it saves.</summary>
    internal const long BulkLoadFrom = 10_000;

    /// <summary>
    /// Begins recording many new files (provisioning, adopt). When they are at least <see cref="BulkLoadFrom"/> and at
    /// least as many as the catalog holds already, the digest index (<c>files_sha256</c>) is dropped until the returned
    /// scope ends and is then built again in one sorted pass: otherwise each new row rewrites a random page of that
    /// index, once into the WAL and once at the checkpoint (8 KiB of writes per 4 KiB file at 100,000 files, and both
    /// adopt and a follower keeping an rsync copy spent a third of their time waiting for the disk). Lookups by digest
    /// meanwhile scan the table (right, only slower); a process that dies before the end builds the index when it
    /// starts again (<see cref="RecoverAsync"/>).
    /// </summary>
    public async Task<IAsyncDisposable> BeginBulkLoadAsync(long adding, CancellationToken cancellationToken)
    {
        if (adding < BulkLoadFrom || adding < Catalog.CountStoredFiles())
        {
            return NoBulkLoad.Instance;
        }
        await WithCatalogAsync(c => { c.DropDigestIndex(); return 0; }, cancellationToken).ConfigureAwait(false);
        Log.BulkLoadStarted(_logger, adding);
        return new BulkLoad(this);
    }

    /// <summary>Builds the digest index again, under the writer lock; a failure is logged (the next start builds it).</summary>
    private async Task EndBulkLoadAsync()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await WithCatalogAsync(c => { c.BuildDigestIndex(); return 0; }, CancellationToken.None).ConfigureAwait(false);
            Log.BulkLoadEnded(_logger, Catalog.FileCount, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (Exception e) when (e is SqliteException or IOException or ObjectDisposedException)
        {
            Log.DigestIndexNotBuilt(_logger, e.Message);
        }
    }

    /// <summary>Start-up: a bulk load that did not end left the digest index dropped.</summary>
    private void RestoreDigestIndex()
    {
        if (!Catalog.HasDigestIndex)
        {
            Catalog.BuildDigestIndex();
            Log.DigestIndexRestored(_logger);
        }
    }

    private sealed class BulkLoad(LibraryStore store) : IAsyncDisposable
    {
        private int _ended;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                await store.EndBulkLoadAsync().ConfigureAwait(false);
            }
        }
    }

    private sealed class NoBulkLoad : IAsyncDisposable
    {
        public static readonly NoBulkLoad Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
