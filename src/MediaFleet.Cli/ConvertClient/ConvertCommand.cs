using System.CommandLine;
using MediaFleet.Cli.Commands;
using System.Text.Json;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;

namespace MediaFleet.Cli.ConvertClient;

/// <summary><c>mfleet convert</c>: the conversion client (DESIGN.md section 8), remembering its jobs in a local store.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliConsole console) => new("convert",
        "convert files on a broker: submit, follow, fetch, cancel, watch a folder (jobs are remembered in $MFLEET_CLIENT_DB, default ~/.local/share/mfleet/client.db)")
    {
        Submit(console),
        ConvertStatus.Create(console),
        ConvertFetch.Create(console),
        Cancel(console),
        ConvertWatch.Create(console),
        Profiles(console),
    };

    private static Command Submit(CliConsole console)
    {
        var files = new Argument<string[]>("FILE") { Description = "the files to convert", Arity = ArgumentArity.OneOrMore };
        var profile = new Option<string>("--profile") { Description = "the profile to convert to (convert profiles lists them)", Required = true };
        var ingestAs = new Option<string?>("--ingest-as") { Description = "also put the output into the library at this path (the broker needs --node)" };
        var (broker, token, json) = (ConvertSession.BrokerOption(), Common.TokenOption(), Common.JsonOption());
        var command = new Command("submit", "upload files for conversion; prints one job id per line; the same file again gives the same job")
            { files, profile, ingestAs, json, broker, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var paths = parse.GetValue(files)!;
            if (paths.FirstOrDefault(p => !File.Exists(p)) is { } missing)
            {
                throw new CliException($"{missing}: no such file");
            }
            using var session = ConvertSession.Open(parse, broker, token);
            var plan = paths.Select(p => (File: p, Length: new FileInfo(p).Length)).ToList();
            var jobs = new List<JobDto>();
            var failed = await console.WithProgressAsync("submit", plan.Sum(p => p.Length), async progress =>
            {
                var failures = 0;
                long before = 0;
                foreach (var (file, length) in plan)
                {
                    var name = Path.GetFileName(file);
                    progress.Report(("hashing " + name, before));
                    var baseline = before;
                    try
                    {
                        var (job, _) = await session.Submitter.SubmitAsync(file, parse.GetValue(profile)!, parse.GetValue(ingestAs),
                            stream => new ProgressStream(stream, sent => progress.Report((name, baseline + sent))), cancellationToken).ConfigureAwait(false);
                        jobs.Add(job);
                        if (!parse.GetValue(json))
                        {
                            console.Out.WriteLine(job.Id);
                        }
                    }
                    catch (MediaFleetException e) when (plan.Count > 1 && e.Slug is "unsupported-media" or "digest-mismatch")
                    {
                        // A refusal of this input (not media, changed while sent) does not stop the others; a bad profile, a
                        // refused token or a full broker would refuse them all, so those end the command.
                        failures++;
                        console.Error.WriteLine($"mfleet: {file}: {e.Message} ({(int)e.Status}{(e.Slug is null ? "" : " " + e.Slug)})");
                    }
                    before += length;
                    progress.Report((name, before));
                }
                return failures;
            }).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(jobs, ConversionJson.Default.IReadOnlyListJobDto));
            }
            return failed > 0 ? throw new CliException($"{failed} of {plan.Count} files were not submitted") : ExitCodes.Ok;
        });
        return command;
    }

    private static Command Cancel(CliConsole console)
    {
        var ids = new Argument<string[]>("ID") { Description = "the jobs to cancel", Arity = ArgumentArity.OneOrMore };
        var (broker, token) = (ConvertSession.BrokerOption(), Common.TokenOption());
        var command = new Command("cancel", "cancel jobs: a running ffmpeg is stopped and its partial output deleted") { ids, broker, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var session = ConvertSession.Open(parse, broker, token);
            foreach (var id in parse.GetValue(ids)!)
            {
                var job = await session.Broker.CancelAsync(id, cancellationToken).ConfigureAwait(false);
                session.Store.Update(session.BrokerKey, job);
                console.Out.WriteLine($"cancelled {job.Id} ({job.Name})");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Profiles(CliConsole console)
    {
        var (broker, token, json) = (ConvertSession.BrokerOption(), Common.TokenOption(), Common.JsonOption());
        var command = new Command("profiles", "list the broker's profiles: what each takes and makes") { json, broker, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var session = ConvertSession.Open(parse, broker, token);
            var profiles = await session.Broker.GetProfilesAsync(cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(profiles, ConversionJson.Default.IReadOnlyListProfileDto));
                return ExitCodes.Ok;
            }
            var rows = profiles.Select(p => new[] { p.Name, p.Media, "." + p.Extension, p.Description }).Prepend(["NAME", "MEDIA", "MAKES", "DESCRIPTION"]).ToList();
            foreach (var line in Table.Lines(rows))
            {
                console.Out.WriteLine(line);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>Plain text tables: columns padded to their widest cell, the last one left ragged.</summary>
internal static class Table
{
    public static IEnumerable<string> Lines(IReadOnlyList<string[]> rows)
    {
        if (rows.Count == 0)
        {
            yield break;
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            yield return string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd();
        }
    }
}
