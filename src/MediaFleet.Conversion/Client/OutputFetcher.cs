using System.Globalization;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Hosting.Transfers;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Storage;

namespace MediaFleet.Conversion.Client;

/// <summary>
/// Downloads a succeeded job's output into a folder: resumable (the partial file waits in the folder as
/// <c>.mfleet-&lt;id&gt;.part</c>), checked against the job's <c>output.sha256</c>, installed durably under
/// <c>&lt;name-without-ext&gt;.&lt;extension&gt;</c> and marked fetched in the <see cref="ClientStore"/>. A different file
/// already at that name is never replaced: the output takes the first free <c>&lt;name&gt;-N.&lt;extension&gt;</c>.
/// </summary>
public sealed class OutputFetcher(HttpClient http, string brokerKey, ClientStore store, TimeProvider time)
{
    /// <summary>How long the broker may send nothing before an attempt is given up (the partial file stays for the next).</summary>
    public static readonly TimeSpan Idle = TimeSpan.FromSeconds(60);

    private const int MaxNames = 1000;

    public async Task<FetchedOutput> FetchAsync(
        ClientJob job, JobDto current, string folder, string extension, Action<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (current.State != JobStates.Succeeded || current.Output is not { } output)
        {
            throw new InvalidOperationException($"job {job.Id} is {current.State}: nothing to fetch");
        }
        var digest = Sha256Digest.ParseHex(output.Sha256);
        // Kept whole in the store: a watch compares it with the paths it scans, from any working folder.
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        // Already there (an earlier run installed it but stopped before the store's commit): nothing to download.
        var first = Path.Combine(folder, OutputNames.Candidate(job.Name, job.Id, extension, 0));
        if (await HoldsAsync(first, digest, cancellationToken).ConfigureAwait(false))
        {
            store.MarkFetched(brokerKey, job.Id, first);
            return new FetchedOutput(first, FetchOutcome.AlreadyThere);
        }
        var request = new DownloadRequest
        {
            Url = new Uri(BrokerClient.OutputUri(job.Id), UriKind.Relative),
            PartialPath = Path.Combine(folder, OutputNames.Partial(job.Id)),
            Sha256 = digest,
            Size = output.Size,
            Source = "the broker",
            Progress = progress,
        };
        using var write = await ResumableDownload.DownloadAsync(http, request, Idle, time, cancellationToken).ConfigureAwait(false);
        for (var n = 0; n < MaxNames; n++)
        {
            var target = Path.Combine(folder, OutputNames.Candidate(job.Name, job.Id, extension, n));
            if (await HoldsAsync(target, digest, cancellationToken).ConfigureAwait(false))
            {
                store.MarkFetched(brokerKey, job.Id, target);
                return new FetchedOutput(target, FetchOutcome.AlreadyThere);
            }
            if (File.Exists(target) || Directory.Exists(target))
            {
                continue;
            }
            try
            {
                DurableFile.Install(write, target, replace: false);
            }
            catch (InstallFailedException) when (File.Exists(target))
            {
                // Someone else put a file there between the check and the rename: try the next name.
                continue;
            }
            store.MarkFetched(brokerKey, job.Id, target);
            return new FetchedOutput(target, n == 0 ? FetchOutcome.Downloaded : FetchOutcome.Renamed);
        }
        throw new IOException($"no free name for the output of job {job.Id} in {folder} after {MaxNames} tries");
    }

    private static async Task<bool> HoldsAsync(string file, Sha256Digest digest, CancellationToken cancellationToken) =>
        File.Exists(file) && await Sha256Digest.OfFileAsync(file, cancellationToken).ConfigureAwait(false) == digest;
}

/// <summary>Where an output went, and whether it took another name than the first choice.</summary>
public sealed record FetchedOutput(string Path, FetchOutcome Outcome);

public enum FetchOutcome
{
    /// <summary>Downloaded and installed under <c>&lt;name-without-ext&gt;.&lt;extension&gt;</c>.</summary>
    Downloaded,

    /// <summary>Downloaded; a different file held the first name, so it took <c>&lt;name&gt;-N.&lt;extension&gt;</c>.</summary>
    Renamed,

    /// <summary>A file with the output's digest was already there; nothing was written.</summary>
    AlreadyThere,
}

/// <summary>The names a fetched output may take in its folder: plain file names only, whatever the job's name holds.</summary>
public static class OutputNames
{
    /// <summary>
    /// Candidate <paramref name="n"/> for the output of <paramref name="name"/>: n = 0 is <c>&lt;stem&gt;.&lt;extension&gt;</c>,
    /// then <c>&lt;stem&gt;-n.&lt;extension&gt;</c>. A stem that is empty, dotted or not a plain name becomes the job id.
    /// </summary>
    public static string Candidate(string name, string jobId, string extension, int n)
    {
        var stem = Path.GetFileNameWithoutExtension(Path.GetFileName(name));
        if (stem.Length == 0 || stem.StartsWith('.') || stem.Any(c => char.IsControl(c) || c is '/' or '\\'))
        {
            stem = Safe(jobId);
        }
        var suffix = n == 0 ? "" : "-" + n.ToString(CultureInfo.InvariantCulture);
        var ext = Safe(extension.TrimStart('.'));
        return ext.Length == 0 ? stem + suffix : $"{stem}{suffix}.{ext}";
    }

    /// <summary>The partial download's name: hidden, so a watched folder that is also the output folder skips it.</summary>
    public static string Partial(string jobId) => $".mfleet-{Safe(jobId)}.part";

    private static string Safe(string text) => new([.. text.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')]);
}
