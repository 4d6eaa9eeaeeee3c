using MediaFleet.Hosting;
using MediaFleet.Contracts.Tls;
using System.CommandLine;
using System.Text.Json;
using MediaFleet.Cli.Output;
using MediaFleet.Node;
using MediaFleet.Node.Configuration;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Cli.Commands;

/// <summary><c>mfleet node</c>: runs a data node until SIGTERM or Ctrl-C.</summary>
internal static class NodeCommand
{
    public static Command Create(CliConsole console)
    {
        var data = new Option<string?>("--data") { Description = "the library folder (created when absent)" };
        var primary = new Option<bool>("--primary") { Description = "this node assigns versions and takes writes" };
        var upstream = new Option<string?>("--upstream") { Description = "the node to follow (URL)" };
        var listen = new Option<string?>("--listen") { Description = "URL to listen on (default http://127.0.0.1:8470)" };
        var id = new Option<string?>("--id") { Description = "a stable name for this node" };
        var coordinator = new Option<string?>("--coordinator") { Description = "the coordinator to send heartbeats to (URL, e.g. http://127.0.0.1:8460)" };
        var advertise = new Option<string?>("--advertise") { Description = "HOST:PORT as nginx and other nodes reach this node (default: the listen address)" };
        var site = new Option<string?>("--site") { Description = "the site this node stands at (shown in /v1/status)" };
        var config = new Option<string?>("--config") { Description = "a JSON settings file (sections Node, Auth, Tls)" };
        var token = new Option<string?>("--token") { Description = "the cluster token (default $MFLEET_TOKEN); shows in ps: prefer --token-file" };
        var insecure = new Option<bool>("--insecure-no-auth") { Description = "run without a token: anyone reaching the port may write" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (with chain) for https:// listen URLs; re-read when the file changes" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var command = new Command("node", "run a data node: library, file API, replication, heartbeats, scrub and heal")
            { data, primary, upstream, listen, id, coordinator, advertise, site, config, token, insecure, tlsCert, tlsKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = new FlagSettings(parse);
            flags.Add(data, "Node:Data");
            flags.Add(primary, "Node:Primary");
            flags.Add(upstream, "Node:Upstream");
            flags.Add(listen, "Node:Listen");
            flags.Add(id, "Node:Id");
            flags.Add(coordinator, "Node:Coordinator");
            flags.Add(advertise, "Node:Advertise");
            flags.Add(site, "Node:Site");
            flags.AddAuthAndTls(token, tlsCert, tlsKey, insecure);
            var configuration = Common.LoadConfiguration(parse.GetValue(config), flags.Values, c =>
            {
                NodeOptions.From(c);
                AuthOptions.From(c);
                TlsOptions.From(c);
            });
            await using var app = await NodeApp.BuildAsync(configuration, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (await RoleHost.RunAsync(app).ConfigureAwait(false) is [var crashed, ..])
            {
                // Exit non-zero so a supervisor (systemd Restart=on-failure) sees a failure, not a clean stop.
                throw new CliException("node stopped: its background work failed: " + crashed);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
