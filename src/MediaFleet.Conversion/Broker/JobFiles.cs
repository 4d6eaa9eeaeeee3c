using MediaFleet.Library.Digests;
using MediaFleet.Library.Store;

namespace MediaFleet.Conversion.Broker;

/// <summary>The outcome of receiving a body into the broker's temp folder.</summary>
internal enum ReceiveStatus
{
    Received,
    InsufficientStorage,
    Truncated,
    DigestMismatch,
}

/// <summary>A received body: a whole, synced temp file with its digest, or why there is none.</summary>
internal sealed record Received(ReceiveStatus Status, string? TempFile, Sha256Digest Digest, long Length, string? Detail);

/// <summary>
/// The broker's folder: <c>broker.db</c>, each job's files under <c>jobs/&lt;id&gt;/</c> (<c>input</c>,
/// <c>output.&lt;ext&gt;</c>) and uploads in progress under <c>tmp/</c>, which start-up empties: a body is streamed to a
/// temp file, hashed on the way and synced, and only a whole, checked one is renamed into a job's folder.
/// </summary>
internal sealed class JobFiles
{
    public JobFiles(string data, long reserveBytes)
    {
        Data = Path.GetFullPath(data);
        ReserveBytes = reserveBytes;
        Directory.CreateDirectory(JobsFolder);
        Directory.CreateDirectory(TempFolder);
    }

    public string Data { get; }

    public long ReserveBytes { get; }

    public string Database => Path.Combine(Data, "broker.db");

    public string JobsFolder => Path.Combine(Data, "jobs");

    public string TempFolder => Path.Combine(Data, "tmp");

    public long FreeBytes => Durability.FreeBytes(Data);

    public string FolderOf(string id) => Path.Combine(JobsFolder, id);

    public string InputOf(string id) => Path.Combine(FolderOf(id), "input");

    public string OutputOf(string id, string extension) => Path.Combine(FolderOf(id), "output." + extension);

    /// <summary>Whether a body of <paramref name="length"/> bytes would leave the reserve free.</summary>
    public bool Fits(long length) => FreeBytes - length >= ReserveBytes;

    /// <summary>
    /// Streams <paramref name="body"/> into a new temp file, hashing it, and syncs it. Nothing is left behind on any
    /// failure (a cut connection throws after the partial file is deleted).
    /// </summary>
    public async Task<Received> ReceiveAsync(Stream body, long? announcedLength, Sha256Digest? expected, CancellationToken cancellationToken)
    {
        var free = FreeBytes;
        if (free - (announcedLength ?? 0) < ReserveBytes)
        {
            return new Received(ReceiveStatus.InsufficientStorage, null, default, 0, $"the upload would leave less than {ReserveBytes} bytes free on the broker");
        }
        var temp = Path.Combine(TempFolder, Path.GetRandomFileName());
        var keep = false;
        try
        {
            Sha256Digest digest;
            long length;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                try
                {
                    (digest, length) = await HashingCopier.CopyAsync(body, file, free - ReserveBytes, cancellationToken).ConfigureAwait(false);
                }
                catch (InsufficientStorageException e)
                {
                    return new Received(ReceiveStatus.InsufficientStorage, null, default, 0, e.Message);
                }
                catch (IOException e) when (Durability.IsDiskFull(e))
                {
                    return new Received(ReceiveStatus.InsufficientStorage, null, default, 0, "the broker's disk filled up during the upload");
                }
            }
            if (announcedLength is { } announced && announced != length)
            {
                return new Received(ReceiveStatus.Truncated, null, digest, length, $"received {length} of {announced} bytes");
            }
            if (expected is { } want && want != digest)
            {
                return new Received(ReceiveStatus.DigestMismatch, null, digest, length, $"the body hashes to {digest.Hex}, not {want.Hex}");
            }
            keep = true;
            return new Received(ReceiveStatus.Received, temp, digest, length, null);
        }
        finally
        {
            if (!keep)
            {
                TryDelete(temp);
            }
        }
    }

    /// <summary>Renames a received temp file to <paramref name="target"/> (its folder created) and syncs the folder.</summary>
    public static void Install(string temp, string target)
    {
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        if (Durability.TryRename(temp, target, replace: true) is { } failure)
        {
            throw new IOException($"could not install {target}: {failure}");
        }
        Durability.FlushDirectory(folder);
    }

    /// <summary>
    /// Start-up: deletes half-uploaded files (everything in <c>tmp/</c>) and job folders without a job (a crash between
    /// the rename and the commit). Returns what it removed.
    /// </summary>
    public IReadOnlyList<string> CleanUp(Func<string, bool> jobExists)
    {
        var removed = new List<string>();
        foreach (var file in Directory.EnumerateFileSystemEntries(TempFolder))
        {
            TryDelete(file);
            removed.Add(file);
        }
        foreach (var folder in Directory.EnumerateDirectories(JobsFolder))
        {
            if (!jobExists(Path.GetFileName(folder)))
            {
                TryDeleteFolder(folder);
                removed.Add(folder);
            }
        }
        return removed;
    }

    public static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Start-up's clean-up tries again.
        }
    }

    public static void TryDeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The clean-up service tries again.
        }
    }
}
