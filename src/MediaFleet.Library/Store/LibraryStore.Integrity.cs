using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;

namespace MediaFleet.Library.Store;

/// <summary>The store's side of integrity checks: recording a good re-hash, and moving a bad copy to quarantine.</summary>
public sealed partial class LibraryStore
{
    /// <summary>Prefix of the <c>missing</c> reason of a quarantined copy; the healer looks for these.</summary>
    public const string CorruptReason = "corrupt";

    /// <summary>
    /// Records a re-hash that matched, unless the file changed while it was read (then the newer write stands and
    /// is checked another time). Returns false when the entry was stale.
    /// </summary>
    public async Task<bool> RecordVerifiedAsync(FileEntry checkedEntry, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsCurrent(checkedEntry))
            {
                return false;
            }
            Catalog.RecordVerified(Catalog.Find(checkedEntry.Path)!, at);
            return true;
        }
        finally
        {
            _commitLock.Release();
        }
    }

    /// <summary>
    /// Moves a copy whose bytes do not hash to the catalog's digest to <c>.mfleet/quarantine/&lt;utc-stamp&gt;/&lt;path&gt;</c>
    /// (never deleted by MediaFleet), marks it corrupt and lists it missing for the healer. Nothing happens when the
    /// file changed since it was read (a newer write replaced it). Returns the quarantine path, or null.
    /// </summary>
    public async Task<string?> QuarantineAsync(FileEntry checkedEntry, string finding, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsCurrent(checkedEntry))
            {
                return null;
            }
            var source = Path.Combine(Root.FullPath, checkedEntry.Path);
            var target = Path.Combine(Root.QuarantineFolder, at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture), checkedEntry.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            string kept;
            if (File.Exists(source))
            {
                File.Move(source, target, overwrite: false);
                Durability.FlushDirectory(Path.GetDirectoryName(target)!);
                Durability.FlushDirectory(Path.GetDirectoryName(source)!);
                kept = "bytes kept in " + Path.GetRelativePath(Root.FullPath, target);
            }
            else
            {
                target = "";
                kept = "no bytes to keep";
            }
            Catalog.RecordCorrupt(checkedEntry, $"{CorruptReason}: {finding}; {kept}", at);
            Log.Quarantined(_logger, checkedEntry.Path, finding, kept);
            return target;
        }
        finally
        {
            _commitLock.Release();
        }
    }

    /// <summary>
    /// Installs verified good bytes (their digest checked on the way) over a quarantined copy, keeping its version: no
    /// new change, the copy is simply whole again. Nothing happens when the path was deleted or rewritten meanwhile.
    /// </summary>
    public async Task<bool> HealAsync(LibraryPath path, string partial, Sha256Digest sha256, CancellationToken cancellationToken)
    {
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Catalog.Find(path.Value) is not { State: FileState.Corrupt } corrupt || corrupt.Sha256 != sha256 || WantedDigest(path.Value) != sha256)
            {
                File.Delete(partial);
                return false;
            }
            var target = Root.PhysicalPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var intent = Catalog.AddIntent(ChangeOp.Put, path.Value, null, sha256, corrupt.Size, corrupt.Version);
            File.Move(partial, target, overwrite: true);
            Durability.FlushDirectory(Path.GetDirectoryName(target)!);
            Catalog.CommitPut(intent, path.Value, sha256, new FileInfo(target).Length, File.GetLastWriteTimeUtc(target), corrupt.Version);
            Log.Healed(_logger, path.Value);
            return true;
        }
        finally
        {
            _commitLock.Release();
        }
    }

    /// <summary>True while the catalog still holds exactly the copy that was checked.</summary>
    private bool IsCurrent(FileEntry checkedEntry) =>
        Catalog.Find(checkedEntry.Path) is { } now && now.Version == checkedEntry.Version && now.Sha256 == checkedEntry.Sha256 && now.State == FileState.Ok;

    /// <summary>True when a copy's bytes are known bad (quarantined, waiting for a heal).</summary>
    public static bool IsCorrupt(MissingEntry missing) => missing.Reason.StartsWith(CorruptReason, StringComparison.Ordinal);

    /// <summary>The digest a healer must find for a corrupt copy, or null when the path holds nothing to heal.</summary>
    public Sha256Digest? WantedDigest(string path) => Catalog.FindMissing(path) is { Sha256: { } sha } missing && IsCorrupt(missing) ? sha : null;
}
