using System.CommandLine;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Tls;
using MediaFleet.Conversion.Broker;
using MediaFleet.Hosting;

namespace MediaFleet.Cli.Commands;

/// <summary><c>mfleet broker</c>: runs the conversion queue until SIGTERM or Ctrl-C.</summary>
internal static class BrokerCommand
{
    public static Command Create(CliConsole console)
    {
        var data = new Option<string?>("--data") { Description = "the broker's folder: broker.db and the jobs' files (created when absent)" };
        var listen = new Option<string?>("--listen") { Description = "URL to listen on (default http://127.0.0.1:8490)" };
        var node = new Option<string?>("--node") { Description = "the primary node that outputs submitted with --ingest-as are put into (URL)" };
        var config = new Option<string?>("--config") { Description = "a JSON settings file (sections Broker, Auth, Tls)" };
        var token = new Option<string?>("--token") { Description = "the cluster token (default $MFLEET_TOKEN); shows in ps: prefer --token-file" };
        var insecure = new Option<bool>("--insecure-no-auth") { Description = "run without a token: anyone reaching the port may submit and lease jobs" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (with chain) for https:// listen URLs; re-read when the file changes" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var command = new Command("broker", "run the conversion broker: jobs, their inputs and outputs, leases to workers")
            { data, listen, node, config, token, insecure, tlsCert, tlsKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = new FlagSettings(parse);
            flags.Add(data, "Broker:Data");
            flags.Add(listen, "Broker:Listen");
            flags.Add(node, "Broker:Node");
            flags.AddAuthAndTls(token, tlsCert, tlsKey, insecure);
            var configuration = Common.LoadConfiguration(parse.GetValue(config), flags.Values, c =>
            {
                BrokerOptions.From(c);
                AuthOptions.From(c);
                TlsOptions.From(c);
            });
            await using var app = BrokerApp.Build(configuration);
            return await RoleHost.RunAsync(app).ConfigureAwait(false) is [var crashed, ..]
                ? throw new CliException("the broker stopped: its background work failed: " + crashed)
                : ExitCodes.Ok;
        });
        return command;
    }
}
