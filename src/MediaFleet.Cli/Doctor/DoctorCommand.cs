using System.CommandLine;
using System.Text.Json;
using MediaFleet.Cli.Commands;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Tls;
using MediaFleet.Conversion.Broker;
using MediaFleet.Conversion.Worker;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Hosting;
using MediaFleet.Node.Configuration;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Cli.Doctor;

/// <summary>
/// <c>mfleet doctor [--config F] [--json]</c>: checks, on the machine a role runs on, what would stop it or make it
/// misbehave, one line per check (<c>ok|warn|FAIL  check: detail</c>); exits 3 when a check fails.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(CliConsole console)
    {
        var config = new Option<string?>("--config")
        {
            Description = "the JSON settings file the role runs with; every role section in it (Node, Coordinator, Broker, Worker) is checked, with Auth and Tls",
        };
        var role = new Option<string?>("--role")
        {
            Description = "check this role only: node, coordinator, broker or worker (default: every role section of --config, or of the MFLEET_ variables without it)",
        };
        // Its own message: AcceptOnlyFromAmong's lists the values on lines of their own, and an error is one line.
        role.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } name && !Examination.Roles.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                result.AddError($"--role '{name}' is not a role: node, coordinator, broker or worker");
            }
        });
        var json = Common.JsonOption();
        var command = new Command("doctor", "check a role's configuration here: token, folders, free space, ports, the roles it talks to, clocks, nginx -t, ffmpeg; exit 3 when a check fails")
            { config, role, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // As the roles read their settings: the file, then MFLEET_ variables, then these flags.
            var flags = new FlagSettings(parse)
                .AddNamed<string?>(Common.TokenFile, "Auth:TokenFile")
                .AddNamed<string?>(Common.CaFile, "Tls:CaFile")
                .AddNamed<bool>(Common.InsecureHttp, "Tls:AllowInsecureHttp");
            var file = parse.GetValue(config);
            var configuration = Common.LoadConfiguration(file, flags.Values, c =>
            {
                NodeOptions.From(c);
                CoordinatorOptions.From(c);
                BrokerOptions.From(c);
                WorkerOptions.From(c);
                AuthOptions.From(c);
                TlsOptions.From(c);
            });
            // The file says which roles run here; a tuning variable such as MFLEET_Node__ReserveBytes in the environment does not.
            var fileOnly = new ConfigurationBuilder();
            if (file is not null)
            {
                fileOnly.AddJsonFile(Path.GetFullPath(file));
            }
            var fromFile = fileOnly.Build();
            var sections = file is null ? configuration : fromFile;
            var roles = parse.GetValue(role) is { } only
                ? [.. Examination.Roles.Where(r => r.Equals(only, StringComparison.OrdinalIgnoreCase))]
                : Examination.Roles.Where(r => sections.GetSection(r).Exists()).ToList();
            if (roles.Count == 0)
            {
                throw new CliException($"nothing to check: {(file is null ? "give --config F" : file + " has no")} Node, Coordinator, Broker or Worker section (or name one with --role)",
                    ExitCodes.Usage);
            }
            var findings = await new Examination(configuration, file, fromFile, TimeProvider.System).RunAsync(roles, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize([.. findings.Select(f => f.ToDto())], DoctorJson.Default.ListFindingDto));
            }
            else
            {
                foreach (var finding in findings)
                {
                    console.Out.WriteLine(finding.ToLine());
                }
            }
            return findings.Any(f => f.Verdict == Verdict.Fail) ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;
    }
}
