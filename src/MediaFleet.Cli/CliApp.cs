using MediaFleet.Contracts.Problems;
using MediaFleet.Hosting;
using System.CommandLine;
using System.Net.Http;
using MediaFleet.Cli.Commands;
using MediaFleet.Cli.Demo;
using MediaFleet.Contracts.Client;
using MediaFleet.Cli.Output;
using MediaFleet.Node.Configuration;

namespace MediaFleet.Cli;

/// <summary>Exit codes of DESIGN.md section 10.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int CheckFailed = 3;
}

/// <summary>An error the CLI reports as one plain line with a chosen exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The <c>mfleet</c> command line: parses, runs one command, maps every failure to one line and an exit code.</summary>
public static class CliApp
{
    /// <summary>
    /// An unknown flag would otherwise be taken as a positional value (e.g. `ls --no-such-flag` as a prefix);
    /// a value that starts with '-' is a usage error instead (write ./-name for such a file).
    /// </summary>
    private static void RejectOptionLikeArguments(Command command)
    {
        foreach (var argument in command.Arguments)
        {
            argument.Validators.Add(result =>
            {
                foreach (var token in result.Tokens)
                {
                    if (token.Value.Length > 1 && token.Value[0] == '-')
                    {
                        result.AddError($"unknown option '{token.Value}'");
                    }
                }
            });
        }
        foreach (var sub in command.Subcommands)
        {
            RejectOptionLikeArguments(sub);
        }
    }

    /// <summary>The URL the failed command talked to (its --node or --broker), for the "cannot reach" line.</summary>
    private static string? NodeUrl(ParseResult parse) =>
        parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name is "--node" or "--broker") is Option<string> node ? parse.GetValue(node) : null;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var console = new CliConsole(output, error);
        var root = new RootCommand("MediaFleet: one program for a small media cluster (library, replication, balancing, integrity, conversion).");
        foreach (var command in LibraryCommands.Create(console).Append(NodeCommand.Create(console)).Append(CoordinatorCommand.Create(console)).Append(BrokerCommand.Create(console)).Append(WorkerCommand.Create(console)).Append(ConvertClient.ConvertCommand.Create(console)).Append(ScoreCommand.Create(console)).Append(Doctor.DoctorCommand.Create(console)).Append(DemoCommand.Create(console)))
        {
            root.Subcommands.Add(command);
        }

        foreach (var option in Common.ConnectionOptions())
        {
            root.Options.Add(option);
        }
        RejectOptionLikeArguments(root);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = parse.CommandResult.Command;
            var name = command == root ? "mfleet" : "mfleet " + command.Name;
            error.WriteLine($"mfleet: {parse.Errors[0].Message} (see '{name} --help')");
            return ExitCodes.Usage;
        }
        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false,
            // Long-running roles stop through the Generic Host's own SIGTERM handling; the demo handles Ctrl-C itself.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            error.WriteLine($"mfleet: {e.Message}");
            return e.ExitCode;
        }
        catch (InvalidSettingsException e)
        {
            error.WriteLine($"mfleet: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (MediaFleetException e)
        {
            error.WriteLine($"mfleet: {e.Message} ({(int)e.Status}{(e.Slug is null ? "" : " " + e.Slug)})");
            return ExitCodes.Failure;
        }
        catch (PlainHttpRefusedException e)
        {
            error.WriteLine($"mfleet: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (HttpRequestException e)
        {
            error.WriteLine($"mfleet: cannot reach {NodeUrl(parse) ?? "the node"}: {Common.Reason(e)}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("mfleet: cancelled");
            return ExitCodes.Failure;
        }
        catch (IOException e)
        {
            error.WriteLine($"mfleet: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (UnauthorizedAccessException e)
        {
            error.WriteLine($"mfleet: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
