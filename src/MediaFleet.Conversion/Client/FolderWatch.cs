using System.Net;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;

namespace MediaFleet.Conversion.Client;

/// <summary>What <c>convert watch</c> watches and where results go.</summary>
public sealed record WatchOptions(string Folder, string Profile, string OutFolder, TimeSpan Settle);

/// <summary>
/// <c>convert watch</c>: polls a folder, submits each new regular file once it has settled (<see cref="SettledFiles"/>),
/// and fetches the results as they finish. What it submitted is in the <see cref="ClientStore"/> (source path, size and
/// mtime), so a restart submits nothing twice; a file whose size or mtime changed afterwards is new content and goes
/// again. Hidden files (a name starting with '.', as copy tools name their temp files) and symlinks are not taken.
/// </summary>
public sealed class FolderWatch(
    WatchOptions options, BrokerClient broker, string brokerKey, ClientStore store, JobSubmitter submitter, BrokerSync sync, OutputFetcher fetcher,
    TimeProvider time, Action<string> say, Action<string> warn)
{
    private readonly SettledFiles _settled = new(options.Settle);
    private readonly HashSet<FileSnapshot> _refused = [];
    private readonly string _folder = Path.GetFullPath(options.Folder);
    private string? _extension;
    private bool _silent;

    /// <summary>Between scans: a fraction of the settle time, so a file is taken soon after it settles, within bounds.</summary>
    public static TimeSpan PollInterval(TimeSpan settle) =>
        TimeSpan.FromTicks(Math.Clamp(settle.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(2).Ticks));

    /// <summary>Runs until <paramref name="cancellationToken"/> fires (SIGTERM, Ctrl-C); a refused token ends it with the exception.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var poll = PollInterval(options.Settle);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SubmitSettledAsync(cancellationToken).ConfigureAwait(false);
                await FetchFinishedAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(poll, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task SubmitSettledAsync(CancellationToken cancellationToken)
    {
        var fetched = store.List(brokerKey).Where(j => j.FetchedPath is not null).Select(j => j.FetchedPath!).ToHashSet(StringComparer.Ordinal);
        foreach (var file in _settled.Observe(Scan().Where(f => !fetched.Contains(f.Path)), time.GetUtcNow()))
        {
            if (_refused.Contains(file)
                || store.LatestFrom(brokerKey, file.Path, options.Profile) is { } earlier && earlier.SourceSize == file.Size && earlier.SourceModified == file.Modified)
            {
                continue;
            }
            var name = Path.GetFileName(file.Path);
            try
            {
                var (job, created) = await submitter.SubmitAsync(file.Path, options.Profile, null, null, cancellationToken).ConfigureAwait(false);
                Answered();
                var earlierOutput = created ? null : store.Get(brokerKey, job.Id)?.FetchedPath;
                say(created ? $"submitted {name}: job {job.Id}"
                    : $"submitted {name}: the broker already had it as job {job.Id} ({job.State}{(earlierOutput is null ? "" : ", fetched earlier to " + earlierOutput)})");
            }
            catch (Exception e) when (BrokerSync.Silence(e, cancellationToken) is { } reason)
            {
                Silent(reason);
                return;
            }
            catch (MediaFleetException e) when (e.Status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
            {
                // 400, 415, 507…: the same bytes would get the same answer; a changed file is tried again.
                Answered();
                _refused.Add(file);
                warn($"{name}: not submitted: {e.Message} ({(int)e.Status}{(e.Slug is null ? "" : " " + e.Slug)})");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                warn($"{name}: not submitted: {e.Message}");
            }
        }
    }

    private async Task FetchFinishedAsync(CancellationToken cancellationToken)
    {
        var pending = store.List(brokerKey)
            .Where(j => j.FetchedPath is null && j.Profile == options.Profile && j.State is not (JobStates.Failed or JobStates.Cancelled)
                        && string.Equals(Path.GetDirectoryName(j.Source), _folder, StringComparison.Ordinal))
            .ToList();
        if (pending.Count == 0)
        {
            return;
        }
        var result = await sync.SyncAsync([.. pending.Select(j => j.Id)], cancellationToken).ConfigureAwait(false);
        if (!result.Answered)
        {
            Silent(result.Reason!);
            return;
        }
        Answered();
        foreach (var job in pending)
        {
            if (!result.Current.TryGetValue(job.Id, out var current))
            {
                continue;
            }
            switch (current.State)
            {
                case JobStates.Failed:
                    warn($"job {job.Id} ({job.Name}) failed: {current.Error}");
                    break;
                case JobStates.Cancelled:
                    warn($"job {job.Id} ({job.Name}) was cancelled");
                    break;
                case JobStates.Succeeded:
                    try
                    {
                        _extension ??= (await broker.GetProfilesAsync(cancellationToken).ConfigureAwait(false))
                            .FirstOrDefault(p => p.Name == options.Profile)?.Extension ?? options.Profile;
                        var output = await fetcher.FetchAsync(job, current, options.OutFolder, _extension, null, cancellationToken).ConfigureAwait(false);
                        say($"fetched job {job.Id} ({job.Name}) to {output.Path}");
                    }
                    catch (Exception e) when (BrokerSync.Silence(e, cancellationToken) is { } reason)
                    {
                        Silent(reason);
                        return;
                    }
                    catch (Hosting.Transfers.DownloadFailedException e)
                    {
                        warn($"job {job.Id} ({job.Name}): fetch failed, will try again: {e.Message}");
                    }
                    break;
            }
        }
    }

    /// <summary>The regular files directly in the folder, mtime to the millisecond as the store keeps it.</summary>
    private IEnumerable<FileSnapshot> Scan()
    {
        var enumeration = new EnumerationOptions
        {
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.ReparsePoint | FileAttributes.Directory,
            IgnoreInaccessible = true,
            RecurseSubdirectories = false,
        };
        var files = new List<FileSnapshot>();
        foreach (var info in new DirectoryInfo(_folder).EnumerateFiles("*", enumeration))
        {
            var modified = DateTimeOffset.FromUnixTimeMilliseconds(new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeMilliseconds());
            files.Add(new FileSnapshot(info.FullName, info.Length, modified));
        }
        return files;
    }

    private void Silent(string reason)
    {
        if (!_silent)
        {
            warn($"the broker {brokerKey} does not answer ({reason}); trying again");
        }
        _silent = true;
    }

    private void Answered()
    {
        if (_silent)
        {
            say($"the broker {brokerKey} answers again");
        }
        _silent = false;
    }
}
