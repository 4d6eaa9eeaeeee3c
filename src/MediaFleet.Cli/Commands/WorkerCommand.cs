using System.CommandLine;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Tls;
using MediaFleet.Conversion.Worker;
using MediaFleet.Hosting;

namespace MediaFleet.Cli.Commands;

/// <summary><c>mfleet worker</c>: runs conversions leased from a broker until SIGTERM or Ctrl-C, then hands its jobs back.</summary>
internal static class WorkerCommand
{
    public static Command Create(CliConsole console)
    {
        var broker = new Option<string?>("--broker") { Description = "the broker to lease jobs from (URL, e.g. http://127.0.0.1:8490)" };
        var slots = new Option<int?>("--slots") { Description = "jobs to run at once (default 1)" };
        var scratch = new Option<string?>("--scratch") { Description = "folder for inputs and outputs while jobs run (default $TMPDIR/mfleet-worker)" };
        var listen = new Option<string?>("--listen") { Description = "URL for /healthz and /metrics (default http://127.0.0.1:8491; port 0 picks a free one)" };
        var id = new Option<string?>("--id") { Description = "a name for this worker in the broker's jobs (default host-pid)" };
        var config = new Option<string?>("--config") { Description = "a JSON settings file (sections Worker, Auth, Tls)" };
        var token = new Option<string?>("--token") { Description = "the cluster token (default $MFLEET_TOKEN); shows in ps: prefer --token-file" };
        var insecure = new Option<bool>("--insecure-no-auth") { Description = "talk to a broker that runs without a token" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (with chain) for an https:// listen URL" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var command = new Command("worker", "run conversions leased from a broker with ffmpeg")
            { broker, slots, scratch, listen, id, config, token, insecure, tlsCert, tlsKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = new FlagSettings(parse);
            flags.Add(broker, "Worker:Broker");
            flags.Add(slots, "Worker:Slots");
            flags.Add(scratch, "Worker:Scratch");
            flags.Add(listen, "Worker:Listen");
            flags.Add(id, "Worker:Id");
            flags.AddAuthAndTls(token, tlsCert, tlsKey, insecure);
            var configuration = Common.LoadConfiguration(parse.GetValue(config), flags.Values, c =>
            {
                WorkerOptions.From(c);
                AuthOptions.From(c);
                TlsOptions.From(c);
            });
            await using var app = WorkerApp.Build(configuration);
            return await RoleHost.RunAsync(app).ConfigureAwait(false) is [var crashed, ..]
                ? throw new CliException("the worker stopped: its background work failed: " + crashed)
                : ExitCodes.Ok;
        });
        return command;
    }
}
