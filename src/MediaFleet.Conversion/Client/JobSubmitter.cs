using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Library.Digests;

namespace MediaFleet.Conversion.Client;

/// <summary>
/// Submits local files to one broker and remembers each job in the <see cref="ClientStore"/>. The file is hashed
/// first so the broker can answer a resubmit (same <c>Idempotency-Key</c>, or same digest and profile) before the body
/// is sent, and check the bytes it receives.
/// </summary>
public sealed class JobSubmitter(BrokerClient broker, string brokerKey, ClientStore store)
{
    /// <summary>
    /// Hashes <paramref name="file"/>, streams it to the broker (through <paramref name="observe"/>, e.g. a progress
    /// counter) and records the job. <c>Created</c> is false when the broker answered with a job it already had.
    /// </summary>
    public async Task<(JobDto Job, bool Created)> SubmitAsync(
        string file, string profile, string? ingestAs, Func<Stream, Stream>? observe, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(file);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"{file}: no such file", file);
        }
        // Size and mtime from before the hash: a file that changes afterwards differs from what the store says was sent.
        var (size, modified) = (info.Length, new DateTimeOffset(info.LastWriteTimeUtc));
        var digest = await Sha256Digest.OfFileAsync(path, cancellationToken).ConfigureAwait(false);
        var source = new SubmittedFile(path, info.Name, digest.Hex, size, modified);
        var key = IdempotencyKey(store.ClientId, digest, profile, store.EndedWithoutOutput(brokerKey, digest.Hex, profile));
        (JobDto Job, bool Created) answer;
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (var body = observe is null ? stream : observe(stream))
        {
            answer = await broker.SubmitAsync(body, size, profile, info.Name, ingestAs, store.ClientId, key, digest.ToHeaderValue(), cancellationToken)
                .ConfigureAwait(false);
        }
        if (answer.Job.Sha256 != digest.Hex)
        {
            // Both the key and the broker's own dedupe include the digest: another input here is the broker's error.
            throw new InvalidDataException($"{file}: the broker answered job {answer.Job.Id} of input {answer.Job.Sha256}, not {digest.Hex}");
        }
        store.Remember(brokerKey, answer.Job, source, ingestAs);
        return answer;
    }

    /// <summary>
    /// The key that makes a resubmit of this input with this profile (after a crash between the broker's answer and the
    /// store's commit) return the same job. <paramref name="retries"/> counts this input's jobs that ended without an
    /// output: submitting again after one of them is a new request, not a repeat of the old one.
    /// </summary>
    public static string IdempotencyKey(string clientId, Sha256Digest input, string profile, int retries)
    {
        var text = string.Join('\n', clientId, input.Hex, profile, retries.ToString(CultureInfo.InvariantCulture));
        return "mfleet-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
