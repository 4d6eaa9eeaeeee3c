using System.CommandLine;
using MediaFleet.Cli.Commands;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Conversion.Client;
using MediaFleet.Hosting.Transfers;

namespace MediaFleet.Cli.ConvertClient;

/// <summary>
/// <c>convert fetch [ID…] [--out DIR]</c>: downloads succeeded outputs (resumable, digest-checked) and marks them fetched;
/// by default every succeeded job of this client not fetched yet. Jobs without an output are skipped with a line.
/// </summary>
internal static class ConvertFetch
{
    public static Command Create(CliConsole console)
    {
        var ids = new Argument<string[]>("ID") { Description = "these jobs (default: every succeeded job of this client not fetched yet)", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string>("--out") { Description = "the folder for the outputs (default: the current folder)", DefaultValueFactory = _ => "." };
        var (broker, token) = (ConvertSession.BrokerOption(), Common.TokenOption());
        var command = new Command("fetch",
            "download finished outputs, digest-checked and resumable, as <out>/<name>.<ext>; an existing different file is kept and the output takes <name>-N.<ext>")
            { ids, output, broker, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var session = ConvertSession.Open(parse, broker, token);
            var asked = parse.GetValue(ids)!.Distinct(StringComparer.Ordinal).ToList();
            var folder = parse.GetValue(output)!;
            var candidates = asked.Count > 0 ? asked : session.Store.List(session.BrokerKey).Where(j => j.FetchedPath is null).Select(j => j.Id).ToList();
            if (candidates.Count == 0)
            {
                console.Out.WriteLine("nothing new to fetch");
                return ExitCodes.Ok;
            }
            var result = await session.Sync.SyncAsync(candidates, cancellationToken).ConfigureAwait(false);
            if (!result.Answered)
            {
                throw new CliException($"cannot reach the broker at {session.Url}: {result.Reason}");
            }
            var now = session.Time.GetUtcNow();
            var unfetched = 0;
            var toFetch = new List<(ClientJob Job, JobDto Current)>();
            foreach (var id in candidates)
            {
                var remembered = session.Store.Get(session.BrokerKey, id);
                if (!result.Current.TryGetValue(id, out var current))
                {
                    unfetched++;
                    console.Error.WriteLine($"mfleet: no job {id} on {session.Url}" + (remembered is null ? "" : " (it was removed there)"));
                    continue;
                }
                var job = remembered ?? ClientJob.Unremembered(session.BrokerKey, current, now);
                if (asked.Count > 0 && job.FetchedPath is { } earlier && File.Exists(earlier))
                {
                    console.Out.WriteLine($"{id} ({job.Name}): already fetched to {earlier}");
                    continue;
                }
                switch (current.State)
                {
                    case JobStates.Succeeded:
                        toFetch.Add((job, current));
                        break;
                    case JobStates.Failed:
                        unfetched += asked.Count > 0 ? 1 : 0;
                        console.Out.WriteLine($"skipped {id} ({job.Name}): failed after {current.Attempts} attempt(s): {current.Error}");
                        break;
                    default:
                        unfetched += asked.Count > 0 ? 1 : 0;
                        console.Out.WriteLine($"skipped {id} ({job.Name}): {current.State}" + (current.State == JobStates.Running ? $" {current.Progress:0%}" : ""));
                        break;
                }
            }
            unfetched += await DownloadAsync(console, session, toFetch, folder, cancellationToken).ConfigureAwait(false);
            return unfetched > 0 ? throw new CliException($"{unfetched} of {candidates.Count} jobs were not fetched") : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Downloads each output with one progress bar over all of them; returns how many failed.</summary>
    private static async Task<int> DownloadAsync(
        CliConsole console, ConvertSession session, IReadOnlyList<(ClientJob Job, JobDto Current)> jobs, string folder, CancellationToken cancellationToken)
    {
        if (jobs.Count == 0)
        {
            return 0;
        }
        var extensions = (await session.Broker.GetProfilesAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(p => p.Name, p => p.Extension);
        return await console.WithProgressAsync("fetch", jobs.Sum(j => j.Current.Output!.Size), async progress =>
        {
            long before = 0;
            var failed = 0;
            foreach (var (job, current) in jobs)
            {
                var baseline = before;
                // A profile the broker no longer lists still names the output's kind better than nothing.
                var extension = extensions.GetValueOrDefault(job.Profile, job.Profile);
                try
                {
                    var fetched = await session.Fetcher.FetchAsync(job, current, folder, extension,
                        p => progress.Report((job.Name, baseline + p.Received)), cancellationToken).ConfigureAwait(false);
                    console.Out.WriteLine(fetched.Outcome switch
                    {
                        FetchOutcome.AlreadyThere => $"{job.Id} ({job.Name}): already at {fetched.Path} (same digest)",
                        FetchOutcome.Renamed => $"fetched {job.Id} ({job.Name}) to {fetched.Path} (another file held the first name)",
                        _ => $"fetched {job.Id} ({job.Name}) to {fetched.Path}",
                    });
                }
                catch (DownloadFailedException e)
                {
                    failed++;
                    console.Error.WriteLine($"mfleet: {job.Id} ({job.Name}): {e.Message}" + (e.Failure == DownloadFailure.Interrupted ? " (run fetch again to resume)" : ""));
                }
                before += current.Output!.Size;
                progress.Report((job.Name, before));
            }
            return failed;
        }).ConfigureAwait(false);
    }
}
