using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;

namespace MediaFleet.Library.Store;

public sealed partial class LibraryStore
{
    /// <summary>
    /// Start-up recovery: empties <c>.mfleet/tmp</c>, builds the digest index a bulk load dropped, then finishes every
    /// write whose rename (or unlink) reached the folder but whose catalog commit did not, and drops the intents of
    /// writes that never touched the folder.
    /// </summary>
    /// <param name="primary">
    /// Only the primary assigns versions. A follower finishes a write with the version its intent carries; an intent
    /// without one (written by an older build) is dropped and its change applied again from the changelog or the
    /// manifest, because inventing a version would collide with its changelog or skip provisioning.
    /// </param>
    public async Task RecoverAsync(bool primary, CancellationToken cancellationToken)
    {
        var cleared = 0;
        foreach (var file in Directory.EnumerateFiles(Root.TempFolder))
        {
            File.Delete(file);
            cleared++;
        }
        foreach (var folder in Directory.EnumerateDirectories(Root.TempFolder))
        {
            // A bundle's transfers (one folder each).
            cleared += Directory.EnumerateFiles(folder).Count();
            Directory.Delete(folder, recursive: true);
        }
        if (cleared > 0)
        {
            Log.TempCleared(_logger, cleared);
        }

        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RestoreDigestIndex();
            foreach (var intent in Catalog.ReadIntents())
            {
                var version = primary || intent.Version is not null
                    ? await FinishAsync(intent, cancellationToken).ConfigureAwait(false)
                    : null;
                if (version is { } v)
                {
                    Log.IntentCompleted(_logger, intent.Op.ToText(), intent.Path, v.Value);
                }
                else
                {
                    Catalog.DropIntent(intent.Id);
                    Log.IntentDropped(_logger, intent.Op.ToText(), intent.Path);
                }
            }
        }
        finally
        {
            _commitLock.Release();
        }
    }

    private async Task<DataVersion?> FinishAsync(Intent intent, CancellationToken cancellationToken)
    {
        var path = Root.PhysicalPath(LibraryPath.Parse(intent.Path));
        var current = Catalog.Find(intent.Path);
        switch (intent.Op)
        {
            case ChangeOp.Put when File.Exists(path) && (current is null || current.Sha256 != intent.Sha256 || current.State != FileState.Ok):
                // The rename happened; the bytes there are the new file only if they hash to what was announced.
                var digest = await Sha256Digest.OfFileAsync(path, cancellationToken).ConfigureAwait(false);
                return digest == intent.Sha256
                    ? Catalog.CommitPut(intent.Id, intent.Path, digest, new FileInfo(path).Length, File.GetLastWriteTimeUtc(path), intent.Version).Version
                    : null;
            case ChangeOp.Delete when current is not null && !File.Exists(path):
                return Catalog.CommitDelete(intent.Id, intent.Path, intent.Version);
            case ChangeOp.Move when current is not null && intent.ToPath is { } to && !File.Exists(path)
                                    && File.Exists(Root.PhysicalPath(LibraryPath.Parse(to))):
                return Catalog.CommitMove(intent.Id, current, to, intent.Version);
            default:
                return null;
        }
    }

    /// <summary>
    /// Compares the folder with the catalog and reports (never deletes) files the catalog does not know and
    /// catalog rows whose file is gone. Returns the unknown files' library paths; <paramref name="progress"/> hears
    /// (entries checked, unknown so far) every thousand entries.
    /// </summary>
    public IReadOnlyList<string> ReportUnknownFiles(CancellationToken cancellationToken, Action<long, long>? progress = null)
    {
        var unknown = new List<string>();
        long checkedCount = 0;
        foreach (var file in LibraryWalk.Files(Root, Root.FullPath, cancellationToken))
        {
            if (Catalog.Find(file.Path.Value) is null && !LibraryWalk.IsSidecar(file.FullName))
            {
                unknown.Add(file.Path.Value);
            }
            if (++checkedCount % 1000 == 0)
            {
                progress?.Invoke(checkedCount, unknown.Count);
            }
        }
        if (unknown.Count > 0)
        {
            Log.UnknownFiles(_logger, unknown.Count, unknown[0]);
        }
        var vanished = 0;
        string? firstVanished = null;
        foreach (var entry in Catalog.ListFiles())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!File.Exists(Path.Combine(Root.FullPath, entry.Path)))
            {
                vanished++;
                firstVanished ??= entry.Path;
            }
            if (++checkedCount % 1000 == 0)
            {
                progress?.Invoke(checkedCount, unknown.Count);
            }
        }
        if (firstVanished is not null)
        {
            Log.VanishedFiles(_logger, vanished, firstVanished);
        }
        progress?.Invoke(checkedCount, unknown.Count);
        return unknown;
    }
}
