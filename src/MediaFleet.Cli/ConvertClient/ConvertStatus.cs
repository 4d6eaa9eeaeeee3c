using System.CommandLine;
using MediaFleet.Cli.Commands;
using System.Globalization;
using System.Text.Json;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Conversion.Client;
using Spectre.Console;

namespace MediaFleet.Cli.ConvertClient;

/// <summary>
/// <c>convert status [ID…]</c>: the broker's word on this client's jobs, kept in the store. A broker that does not answer
/// is not a failure: the last known states are shown, with one line on stderr saying since when it has not answered.
/// </summary>
internal static class ConvertStatus
{
    public static Command Create(CliConsole console)
    {
        var ids = new Argument<string[]>("ID") { Description = "only these jobs (default: every job this client submitted to the broker)", Arity = ArgumentArity.ZeroOrMore };
        var (broker, token, json) = (ConvertSession.BrokerOption(), Common.TokenOption(), Common.JsonOption());
        var command = new Command("status", "show this client's jobs; when the broker does not answer, their last known states") { ids, json, broker, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var session = ConvertSession.Open(parse, broker, token);
            var asked = parse.GetValue(ids)!;
            var wanted = asked.Length > 0 ? asked.Distinct(StringComparer.Ordinal).ToList() : session.Store.List(session.BrokerKey).Select(j => j.Id).ToList();
            var result = await session.Sync.SyncAsync(wanted, cancellationToken).ConfigureAwait(false);
            if (!result.Answered)
            {
                console.Error.WriteLine("mfleet: " + session.SilenceLine(result));
            }
            var rows = new List<ClientJob>();
            var missing = 0;
            foreach (var id in wanted)
            {
                if (session.Store.Get(session.BrokerKey, id) is { } remembered)
                {
                    rows.Add(remembered);
                }
                else if (result.Current.TryGetValue(id, out var job))
                {
                    rows.Add(ClientJob.Unremembered(session.BrokerKey, job, session.Time.GetUtcNow()));
                }
                else
                {
                    missing++;
                    console.Error.WriteLine(result.Answered
                        ? $"mfleet: no job {id} on {session.Url}"
                        : $"mfleet: job {id} is not one this client submitted, and the broker does not answer");
                }
            }
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(rows, ClientJson.Default.IReadOnlyListClientJob));
            }
            else if (rows.Count == 0 && missing == 0)
            {
                console.Out.WriteLine($"no jobs submitted to {session.Url} from this client");
            }
            else if (rows.Count > 0)
            {
                Render(console, rows, result.Unknown.ToHashSet(StringComparer.Ordinal), session.Time.GetUtcNow());
            }
            return missing > 0 ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return command;
    }

    private static readonly string[] Header = ["ID", "STATE", "PROGRESS", "PROFILE", "NAME", "SEEN", "NOTE"];

    /// <summary>A Spectre table with progress bars on a terminal; padded plain lines elsewhere (pipes, tests).</summary>
    private static void Render(CliConsole console, IReadOnlyList<ClientJob> jobs, IReadOnlySet<string> forgotten, DateTimeOffset now)
    {
        var rows = jobs.Select(j => Cells(j, forgotten.Contains(j.Id), now, console.IsTerminal)).ToList();
        if (!console.IsTerminal)
        {
            foreach (var line in Table.Lines([Header, .. rows]))
            {
                console.Out.WriteLine(line);
            }
            return;
        }
        var table = new Spectre.Console.Table().Border(TableBorder.Simple);
        foreach (var title in Header)
        {
            // Ids and states stay whole on a narrow terminal; names and notes wrap.
            table.AddColumn(title is "NAME" or "NOTE" ? new TableColumn(title) : new TableColumn(title).NoWrap());
        }
        foreach (var row in rows)
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        AnsiConsole.Write(table);
    }

    internal static string[] Cells(ClientJob job, bool forgotten, DateTimeOffset now, bool bar)
    {
        var dto = job.Job;
        var progress = dto.State switch
        {
            JobStates.Running => (bar ? Bar(dto.Progress) + " " : "") + dto.Progress.ToString("0%", CultureInfo.InvariantCulture)
                                 + (dto.EtaSeconds is { } eta ? string.Create(CultureInfo.InvariantCulture, $" eta {eta:0} s") : ""),
            JobStates.Succeeded => "100%",
            _ => "-",
        };
        var note = forgotten ? "the broker no longer knows this job"
            : dto.State switch
            {
                JobStates.Failed => "error: " + dto.Error,
                JobStates.Succeeded when job.FetchedPath is not null => "fetched to " + job.FetchedPath,
                JobStates.Succeeded => "ready: convert fetch",
                _ when dto.Attempts > 0 => $"attempt {dto.Attempts + 1}: {dto.Error}",
                _ => "",
            };
        if (dto.Ingest is { } ingest)
        {
            note += (note.Length > 0 ? "; " : "") + $"library {ingest.Path}: {ingest.State}" + (ingest.Version is { } v ? $" v{v}" : "") + (ingest.Error is { } e ? $" ({e})" : "");
        }
        return [job.Id, dto.State, progress, job.Profile, job.Name, ConvertSession.Ago(now - job.SeenAt), note];
    }

    private static string Bar(double fraction)
    {
        const int Width = 10;
        var full = (int)Math.Round(Math.Clamp(fraction, 0, 1) * Width);
        return new string('█', full) + new string('░', Width - full);
    }
}
