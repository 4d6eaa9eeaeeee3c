using System.CommandLine;
using MediaFleet.Cli.Output;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Tls;
using MediaFleet.Coordinator;
using MediaFleet.Coordinator.Configuration;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Cli.Commands;

/// <summary><c>mfleet coordinator</c>: runs the coordinator until SIGTERM or Ctrl-C.</summary>
internal static class CoordinatorCommand
{
    public static Command Create(CliConsole console)
    {
        var listen = new Option<string?>("--listen") { Description = "URL to listen on (default http://127.0.0.1:8460)" };
        var nginxConf = new Option<string?>("--nginx-conf") { Description = "the nginx file of server lines to keep up to date" };
        var nginxTest = new Option<string?>("--nginx-test") { Description = "command that tests nginx's configuration (default 'nginx -t'); run without a shell" };
        var nginxReload = new Option<string?>("--nginx-reload") { Description = "command that reloads nginx (default 'nginx -s reload'); run without a shell" };
        var proxy = new Option<string?>("--proxy") { Description = "run the built-in balancer on this URL (e.g. http://127.0.0.1:8480), for clusters without nginx" };
        var seed = new Option<string?>("--seed-heartbeats")
        {
            Description = "also take the old heartbeat daemon's UDP packets on udp://HOST:PORT (its default port was 8001), to move over one server at a time",
        };
        var broker = new Option<string?>("--broker") { Description = "a broker whose conversion queue the dashboard shows (e.g. http://127.0.0.1:8490)" };
        var config = new Option<string?>("--config") { Description = "a JSON settings file (sections Coordinator, Auth, Tls)" };
        var token = new Option<string?>("--token") { Description = "the cluster token (default $MFLEET_TOKEN); shows in ps: prefer --token-file" };
        var insecure = new Option<bool>("--insecure-no-auth") { Description = "run without a token: anyone reaching the port may send heartbeats" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (with chain) for https:// listen URLs; re-read when the file changes" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var command = new Command("coordinator", "run the coordinator: heartbeats, server states, the nginx file or the built-in balancer")
            { listen, nginxConf, nginxTest, nginxReload, proxy, seed, broker, config, token, insecure, tlsCert, tlsKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = new FlagSettings(parse);
            flags.Add(listen, "Coordinator:Listen");
            flags.Add(nginxConf, "Coordinator:NginxConf");
            flags.Add(nginxTest, "Coordinator:NginxTest");
            flags.Add(nginxReload, "Coordinator:NginxReload");
            flags.Add(proxy, "Coordinator:Proxy");
            flags.Add(seed, "Coordinator:SeedHeartbeats");
            flags.Add(broker, "Coordinator:Broker");
            flags.AddAuthAndTls(token, tlsCert, tlsKey, insecure);
            var configuration = Common.LoadConfiguration(parse.GetValue(config), flags.Values, c =>
            {
                CoordinatorOptions.From(c);
                AuthOptions.From(c);
                TlsOptions.From(c);
            });
            await using var app = await CoordinatorApp.BuildAsync(configuration).ConfigureAwait(false);
            // The host stops itself when a background service dies: that is a failure, not a clean stop.
            return await RoleHost.RunAsync(app).ConfigureAwait(false) is [var crashed, ..]
                ? throw new CliException($"the coordinator stopped: its background work failed: {crashed}")
                : ExitCodes.Ok;
        });
        return command;
    }
}
