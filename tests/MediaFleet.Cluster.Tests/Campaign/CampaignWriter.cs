using System.Net;
using System.Security.Cryptography;
using MediaFleet.Contracts.Client;

namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>
/// Writes to the primary without pause: puts of 0 bytes to a few MiB (some with content already stored at another
/// path), deletes and moves, over a fixed set of paths so files are overwritten, moved onto and deleted again. It
/// keeps what the primary acknowledged in an <see cref="ExpectedLibrary"/> and every acknowledged version.
/// </summary>
internal sealed class CampaignWriter(NodeClient primary, int seed, CampaignJournal journal)
{
    private static readonly string[] Folders = ["Movies/Alien (1979)", "Música/Ñandú", "tv/s01", "tv/s02", "a b", "x"];
    private static readonly string[] Extensions = [".mkv", ".flac", ".bin", ".jpg"];
    private const int FilesPerFolder = 20;

    private readonly Random _random = new(seed);
    private readonly List<(int Seed, int Size)> _contents = [];

    public ExpectedLibrary Expected { get; } = new();

    /// <summary>Writes the primary answered with a version: (version, op, path, digest); the changelog must agree.</summary>
    public List<(long Version, string Op, string Path, string? Sha256)> Acknowledged { get; } = [];

    /// <summary>Answers no healthy primary gives to these requests (a 500, a 400 for a valid path, a lost file).</summary>
    public List<string> Findings { get; } = [];

    public int Puts { get; private set; }
    public int Deletes { get; private set; }
    public int Moves { get; private set; }
    public int Unanswered { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var roll = _random.NextDouble();
            var present = Expected.MaybePresent.Order(StringComparer.Ordinal).ToList();
            bool answered;
            if (roll < 0.6 || present.Count == 0)
            {
                answered = await PutAsync(RandomPath());
            }
            else if (roll < 0.78)
            {
                answered = await DeleteAsync(present[_random.Next(present.Count)]);
            }
            else
            {
                answered = await MoveAsync(present[_random.Next(present.Count)], RandomPath());
            }
            if (!answered)
            {
                Unanswered++;
                // The primary is down or restarting: do not spin on connection refused.
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }

    private string RandomPath()
    {
        var file = _random.Next(FilesPerFolder);
        return $"{Folders[_random.Next(Folders.Length)]}/f{file:00}{Extensions[file % Extensions.Length]}";
    }

    private async Task<bool> PutAsync(string path)
    {
        var (contentSeed, size) = _contents.Count > 0 && _random.NextDouble() < 0.2
            ? _contents[_random.Next(_contents.Count)]
            : (_random.Next(), RandomSize());
        _contents.Add((contentSeed, size));
        var bytes = Content(contentSeed, size);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var answer = await CallAsync($"PUT {path}", async token =>
        {
            using var body = new MemoryStream(bytes, writable: false);
            var (file, _) = await primary.PutFileAsync(path, body, bytes.Length, $"sha-256=:{Convert.ToBase64String(Convert.FromHexString(sha256))}:", token);
            return file.Version;
        });
        if (answer.Status == Outcome.Done)
        {
            Puts++;
            Acknowledged.Add((answer.Version, "put", path, sha256));
        }
        if (answer.Status is Outcome.Done or Outcome.Unanswered)
        {
            Expected.Put(path, sha256, acknowledged: answer.Status == Outcome.Done);
        }
        return answer.Status != Outcome.Unanswered;
    }

    private async Task<bool> DeleteAsync(string path)
    {
        var answer = await CallAsync($"DELETE {path}", async token =>
        {
            await primary.DeleteFileAsync(path, token);
            return 0;
        });
        if (answer.Status == Outcome.NotFound && Expected.TryCertain(path, out var held) && held is not null)
        {
            Findings.Add($"DELETE {path} answered 404, yet the primary had acknowledged it with {held}");
        }
        Deletes += answer.Status == Outcome.Done ? 1 : 0;
        if (answer.Status != Outcome.Refused)
        {
            Expected.Delete(path, acknowledged: answer.Status != Outcome.Unanswered);
        }
        return answer.Status != Outcome.Unanswered;
    }

    private async Task<bool> MoveAsync(string from, string to)
    {
        if (from == to)
        {
            return true;
        }
        var answer = await CallAsync($"MOVE {from} -> {to}", token => primary.MoveAsync(from, to, token));
        switch (answer.Status)
        {
            case Outcome.Done:
                Moves++;
                Acknowledged.Add((answer.Version, "move", to, null));
                Expected.Move(from, to, acknowledged: true);
                break;
            case Outcome.NotFound:
                if (Expected.TryCertain(from, out var held) && held is not null)
                {
                    Findings.Add($"MOVE {from} answered 404, yet the primary had acknowledged it with {held}");
                }
                Expected.Delete(from, acknowledged: true);
                break;
            case Outcome.Unanswered:
                Expected.Move(from, to, acknowledged: false);
                break;
        }
        return answer.Status != Outcome.Unanswered;
    }

    private async Task<(Outcome Status, long Version)> CallAsync(string what, Func<CancellationToken, Task<long>> call)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            return (Outcome.Done, await call(timeout.Token));
        }
        catch (MediaFleetException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return (Outcome.NotFound, 0);
        }
        catch (MediaFleetException e)
        {
            // Every request here is valid and the disk has room: any other refusal is the primary's fault. A 5xx may
            // still have been committed, so it counts as unanswered.
            Findings.Add($"{what} answered {(int)e.Status} {e.Slug}: {e.Message}");
            journal.Note($"writer: {what} answered {(int)e.Status} {e.Slug}: {e.Message}");
            return ((int)e.Status >= 500 ? Outcome.Unanswered : Outcome.Refused, 0);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            return (Outcome.Unanswered, 0);
        }
    }

    private int RandomSize()
    {
        var roll = _random.NextDouble();
        return roll switch
        {
            < 0.15 => _random.Next(0, 17),
            < 0.6 => _random.Next(16, 64 << 10),
            < 0.9 => _random.Next(64 << 10, 1 << 20),
            _ => _random.Next(1 << 20, 4 << 20),
        };
    }

    private static byte[] Content(int seed, int size)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private enum Outcome
    {
        Done,
        NotFound,
        Refused,
        Unanswered,
    }
}
