using MediaFleet.Library.Digests;
using MediaFleet.Library.Storage;
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

/// <summary>A received body: a whole, synced temp file with its digest (disposing it deletes what is left), or why there is none.</summary>
internal sealed record Received(ReceiveStatus Status, DurableWrite? Write, string? Detail) : IDisposable
{
    public void Dispose() => Write?.Dispose();
}

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
            return new Received(ReceiveStatus.InsufficientStorage, null, $"the upload would leave less than {ReserveBytes} bytes free on the broker");
        }
        DurableWrite write;
        try
        {
            write = await DurableFile.WriteAsync(body, TempFolder, free - ReserveBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (InsufficientStorageException e)
        {
            return new Received(ReceiveStatus.InsufficientStorage, null, e.InnerException is null ? e.Message : "the broker's disk filled up during the upload");
        }
        if (announcedLength is { } announced && announced != write.Length)
        {
            write.Dispose();
            return new Received(ReceiveStatus.Truncated, null, $"received {write.Length} of {announced} bytes");
        }
        if (expected is { } want && want != write.Sha256)
        {
            write.Dispose();
            return new Received(ReceiveStatus.DigestMismatch, null, $"the body hashes to {write.Sha256.Hex}, not {want.Hex}");
        }
        return new Received(ReceiveStatus.Received, write, null);
    }

    /// <summary>Renames a received file to <paramref name="target"/> (its folder created) and syncs the folder.</summary>
    public static void Install(DurableWrite write, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        DurableFile.Install(write, target, replace: true);
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
