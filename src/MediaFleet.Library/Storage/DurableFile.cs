using MediaFleet.Library.Digests;
using MediaFleet.Library.Store;

namespace MediaFleet.Library.Storage;

/// <summary>
/// The one way a file is written so a crash never leaves half of it at its name (DESIGN.md section 2): stream into a
/// temp file with SHA-256 on the way and fsync it (<see cref="WriteAsync"/>), then rename it onto the target and fsync
/// the folder (<see cref="Install"/>). Anything to record about the file (a catalog row) is the caller's commit after.
/// </summary>
public static class DurableFile
{
    /// <summary>
    /// Streams all of <paramref name="source"/> into a new file <c>&lt;tmpFolder&gt;/&lt;random&gt;</c>, hashing it, and flushes
    /// it to disk. On any failure the temp file is deleted before the exception leaves.
    /// </summary>
    /// <param name="budget">Most bytes that may be written (free space less a reserve).</param>
    /// <exception cref="InsufficientStorageException">
    /// The body outgrew <paramref name="budget"/>, or the disk filled up (then the inner exception is the write's).
    /// </exception>
    public static async Task<DurableWrite> WriteAsync(Stream source, string tmpFolder, long budget, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(tmpFolder, Path.GetRandomFileName());
        try
        {
            Sha256Digest digest;
            long length;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                (digest, length) = await HashingCopier.CopyAsync(source, file, budget, cancellationToken).ConfigureAwait(false);
            }
            return new DurableWrite(temp, digest, length);
        }
        catch (Exception e)
        {
            DeleteQuietly(temp);
            if (e is IOException and not InsufficientStorageException && Durability.IsDiskFull(e))
            {
                throw new InsufficientStorageException("the disk filled up during the write", e);
            }
            throw;
        }
    }

    /// <summary>
    /// Renames the written file onto <paramref name="target"/> (whose folder must exist) and fsyncs the folder. Without
    /// <paramref name="replace"/> an existing target is refused. A replaced file is swapped into
    /// <see cref="DurableWrite.TempPath"/> where the file system can (Linux RENAME_EXCHANGE), so the returned
    /// <see cref="InstalledFile"/> can undo the install until the write is disposed, which deletes the old bytes.
    /// </summary>
    /// <exception cref="InstallFailedException">The rename failed (the target exists, a mount point, a folder in the way).</exception>
    /// <param name="flushFolder">False when the caller fsyncs the folder itself, once for a batch of installs into it.</param>
    public static InstalledFile Install(DurableWrite write, string target, bool replace, bool flushFolder = true)
    {
        ArgumentNullException.ThrowIfNull(write);
        // The old bytes wait at the temp path until the caller's commit has the new ones.
        var existed = replace && File.Exists(target);
        var swapped = existed && Durability.TryExchange(write.TempPath, target);
        var replacedForGood = false;
        if (!swapped)
        {
            // Looked at again: an exchange that failed may have lost a race with whoever removed the file.
            replacedForGood = existed && File.Exists(target);
            if (Durability.TryRename(write.TempPath, target, replace) is { } error)
            {
                throw new InstallFailedException(target, error);
            }
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(target))!;
        if (flushFolder)
        {
            Durability.FlushDirectory(folder);
        }
        return new InstalledFile(write, target, folder, swapped, replacedForGood);
    }

    internal static void DeleteQuietly(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temp file that cannot go now goes with the next start-up's clean-up of the temp folder.
        }
    }
}

/// <summary>
/// A complete file in a temp folder, its bytes hashed and flushed to disk, waiting for <see cref="DurableFile.Install"/>.
/// Disposing it deletes whatever is still at <see cref="TempPath"/>: the bytes never installed, or those an install
/// replaced.
/// </summary>
/// <param name="tempPath">The file; the owner of this value owns it.</param>
/// <param name="sha256">The SHA-256 of its bytes.</param>
/// <param name="length">Its length in bytes.</param>
public sealed class DurableWrite(string tempPath, Sha256Digest sha256, long length) : IDisposable
{
    public string TempPath { get; } = tempPath;

    public Sha256Digest Sha256 { get; } = sha256;

    public long Length { get; } = length;

    public void Dispose() => DurableFile.DeleteQuietly(TempPath);
}

/// <summary>A file put in place by <see cref="DurableFile.Install"/>, which a caller whose own commit failed can undo.</summary>
public sealed class InstalledFile
{
    private readonly DurableWrite _write;
    private readonly string _folder;

    internal InstalledFile(DurableWrite write, string target, string folder, bool swapped, bool replacedForGood)
    {
        _write = write;
        Target = target;
        _folder = folder;
        KeptReplaced = swapped;
        CanUndo = swapped || !replacedForGood;
    }

    public string Target { get; }

    /// <summary>The folder the file was renamed into.</summary>
    public string Folder => _folder;

    /// <summary>The replaced file's bytes wait at the write's temp path (disposing the write deletes them).</summary>
    public bool KeptReplaced { get; }

    /// <summary>False when a file was renamed over without a swap: its old bytes are gone.</summary>
    public bool CanUndo { get; }

    /// <summary>Puts things back as before the install: the replaced file at the target, or none; the new bytes at the temp path.</summary>
    public void Undo()
    {
        if (!CanUndo)
        {
            throw new InvalidOperationException($"the file replaced at {Target} is gone; the install cannot be undone");
        }
        if (KeptReplaced)
        {
            Durability.TryExchange(_write.TempPath, Target);
        }
        else
        {
            File.Move(Target, _write.TempPath);
        }
        Durability.FlushDirectory(_folder);
    }
}

/// <summary>A rename onto the target failed; <see cref="Reason"/> is the system's word for why ("File exists", "Device or resource busy").</summary>
public sealed class InstallFailedException(string target, string reason) : IOException($"cannot put the file in place at {target}: {reason}")
{
    public string Target { get; } = target;

    public string Reason { get; } = reason;
}
