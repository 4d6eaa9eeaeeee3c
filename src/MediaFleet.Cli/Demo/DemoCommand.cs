using System.CommandLine;
using MediaFleet.Cli.Output;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Cli.Demo;

/// <summary><c>mfleet demo</c>: a whole cluster on loopback, walked through step by step.</summary>
internal static class DemoCommand
{
    public static Command Create(CliConsole console)
    {
        var noWait = new Option<bool>("--no-wait") { Description = "stop and clean up when the tour ends instead of waiting for Ctrl-C" };
        var verbose = new Option<bool>("--verbose") { Description = "show the nodes' own log lines (replication, provisioning)" };
        var noNginx = new Option<bool>("--no-nginx") { Description = "use the coordinator's built-in balancer even when nginx is installed" };
        var command = new Command("demo", "start a cluster on loopback and walk through every feature") { noWait, verbose, noNginx };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var demo = new DemoTour(console, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Error, useNginx: !parse.GetValue(noNginx));
            return await demo.RunAsync(!parse.GetValue(noWait), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
