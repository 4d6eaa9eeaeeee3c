using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Coordinator;

namespace MediaFleet.Cli.Commands;

/// <summary><c>mfleet score [--min X]</c>: the preservation score of DESIGN.md section 9 from the coordinator; exit 3 below the bar.</summary>
internal static class ScoreCommand
{
    public const string DefaultCoordinator = "http://127.0.0.1:8460";

    public static Command Create(CliConsole console)
    {
        var min = new Option<double?>("--min") { Description = "exit 3 when the collection's score is below this" };
        var coordinator = new Option<string>("--coordinator")
        {
            Description = "the coordinator (default $MFLEET_COORDINATOR or " + DefaultCoordinator + ")",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MFLEET_COORDINATOR") is { Length: > 0 } url ? url : DefaultCoordinator,
        };
        var (token, json) = (Common.TokenOption(), Common.JsonOption());
        var command = new Command("score", "how safely the collection is kept: collection, servers and worst files, with labels; exit 3 below --min")
            { min, coordinator, token, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var url = parse.GetValue(coordinator)!;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new CliException($"--coordinator '{url}' is not an http URL such as {DefaultCoordinator}", ExitCodes.Usage);
            }
            using var http = Common.Cluster(parse, token).Create(uri);
            ScoreDto score;
            try
            {
                score = await new CoordinatorClient(http).GetScoreAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (e is not PlainHttpRefusedException)
            {
                throw new CliException($"cannot reach the coordinator at {url}: {Common.Reason(e)}");
            }
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(score, CoordinatorJson.Default.ScoreDto));
            }
            else
            {
                foreach (var line in Render(score))
                {
                    console.Out.WriteLine(line);
                }
            }
            if (parse.GetValue(min) is { } bar)
            {
                // Not scored yet is not a pass: a score is never claimed about files that were not scored.
                if (score.Collection is not { } collection)
                {
                    console.Error.WriteLine($"mfleet: the collection is not scored yet, so it is not known to reach {Format(bar)}");
                    return ExitCodes.CheckFailed;
                }
                if (collection < bar)
                {
                    console.Error.WriteLine($"mfleet: the collection's score {Format(collection)} is below {Format(bar)}");
                    return ExitCodes.CheckFailed;
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static IEnumerable<string> Render(ScoreDto score)
    {
        if (score.Collection is not { } collection)
        {
            yield return $"collection unknown (not scored yet) of {Format(score.MaxScore)}: the coordinator scores once its start-up grace is over and it has heard from the primary";
            yield break;
        }
        yield return $"collection {Format(collection)} of {Format(score.MaxScore)} ({score.Label}), {score.Files} files";
        foreach (var server in score.Servers)
        {
            yield return $"  server {server.Id}{(server.Site is null ? "" : " at " + server.Site)}: {Format(server.Score)} ({server.Label})";
        }
        if (score.Worst.Count > 0)
        {
            yield return "worst files:";
            foreach (var file in score.Worst)
            {
                yield return $"  {Format(file.Score),5}  {file.Label,-13} {file.Path}";
            }
        }
        foreach (var repair in score.Repair)
        {
            yield return $"repair: {repair.Path} is held at {(repair.Sites.Count == 0 ? "no site" : string.Join(", ", repair.Sites))}; could also go to {(repair.CouldTake.Count == 0 ? "(no other site)" : string.Join(", ", repair.CouldTake))}";
        }
    }

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
