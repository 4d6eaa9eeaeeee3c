using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Storage;

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
    /// Moves a bad copy (bytes that do not hash to the catalog's digest, an unreadable file, a FIFO or a folder where
    /// the file should be) to <c>.mfleet/quarantine/&lt;utc-stamp&gt;/&lt;path&gt;</c> (never deleted by MediaFleet), marks it
    /// corrupt and lists it missing for the healer. A copy that cannot be moved (a mount point answers EBUSY) stays in
    /// place, still marked corrupt. Nothing happens when the file changed since it was read (a newer write replaced
    /// it). Returns the quarantine path ("" when nothing was moved), or null.
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
            Directory.CreateDirectory(Root.QuarantineFolder);
            string kept;
            if (!Path.Exists(source))
            {
                target = "";
                kept = "no bytes to keep";
            }
            else if (MoveAside(source, target) is { } error)
            {
                target = "";
                kept = $"left in place: it could not be moved aside ({error})";
            }
            else
            {
                kept = "bytes kept in " + Path.GetRelativePath(Root.FullPath, target);
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

    /// <summary>A rename into quarantine (whatever sits at the path, a folder too); null, or why it failed.</summary>
    private static string? MoveAside(string source, string target)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
        if (Durability.TryRename(source, target, replace: false) is { } error)
        {
            return error;
        }
        Durability.FlushDirectory(Path.GetDirectoryName(target)!);
        Durability.FlushDirectory(Path.GetDirectoryName(source)!);
        return null;
    }

    /// <summary>
    /// Installs verified good bytes (their digest checked on the way) over a quarantined copy, keeping its version: no
    /// new change, the copy is simply whole again. Nothing happens when the path was deleted or rewritten meanwhile.
    /// When the bad copy is still in the way and cannot be replaced (a mount over the file answers EBUSY, a folder
    /// that could not be moved aside) the good bytes are dropped and the copy stays corrupt, with the reason.
    /// </summary>
    public async Task<HealResult> HealAsync(LibraryPath path, string partial, Sha256Digest sha256, CancellationToken cancellationToken)
    {
        await _commitLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Catalog.Find(path.Value) is not { State: FileState.Corrupt } corrupt || corrupt.Sha256 != sha256 || WantedDigest(path.Value) != sha256)
            {
                File.Delete(partial);
                return new HealResult(HealOutcome.Stale, "the path was deleted or rewritten meanwhile");
            }
            var target = Root.PhysicalPath(path);
            if (!TryCreateParent(target))
            {
                File.Delete(partial);
                return new HealResult(HealOutcome.Blocked, $"a file is in the way of the folder of {path}");
            }
            var intent = Catalog.AddIntent(ChangeOp.Put, path.Value, null, sha256, corrupt.Size, corrupt.Version);
            // Disposed at the end: after the install the partial holds the bad bytes it replaced, if any.
            using var good = new DurableWrite(partial, sha256, new FileInfo(partial).Length);
            try
            {
                DurableFile.Install(good, target, replace: true);
            }
            catch (InstallFailedException e)
            {
                Catalog.DropIntent(intent);
                File.Delete(partial);
                return new HealResult(HealOutcome.Blocked, $"stuck: good bytes were found but cannot replace what is at {path} ({e.Reason}); remove it by hand (is something mounted over it?)");
            }
            Catalog.CommitPut(intent, path.Value, sha256, new FileInfo(target).Length, File.GetLastWriteTimeUtc(target), corrupt.Version);
            Log.Healed(_logger, path.Value);
            return new HealResult(HealOutcome.Healed, "healed");
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

/// <summary>What installing good bytes over a corrupt copy came to.</summary>
public enum HealOutcome
{
    /// <summary>The copy is whole again.</summary>
    Healed,

    /// <summary>The path was deleted or rewritten meanwhile: nothing to heal any more.</summary>
    Stale,

    /// <summary>The good bytes could not be put in place (e.g. something is mounted over the file); the copy stays corrupt.</summary>
    Blocked,
}

/// <summary>A heal's outcome with a reason a person can act on.</summary>
public readonly record struct HealResult(HealOutcome Outcome, string Detail);
