using System.CommandLine;
using MediaFleet.Cli.Commands;
using System.Globalization;
using System.Runtime.InteropServices;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Conversion.Client;

namespace MediaFleet.Cli.ConvertClient;

/// <summary><c>convert watch DIR --profile P [--out DIR] [--settle S]</c>: runs a <see cref="FolderWatch"/> until SIGTERM or Ctrl-C.</summary>
internal static class ConvertWatch
{
    public static Command Create(CliConsole console)
    {
        var folder = new Argument<string>("DIR") { Description = "the folder to watch (its own files, not subfolders; names starting with '.' are skipped)" };
        var profile = new Option<string>("--profile") { Description = "the profile to convert to", Required = true };
        var output = new Option<string>("--out") { Description = "the folder for the outputs (default: the current folder)", DefaultValueFactory = _ => "." };
        var settle = new Option<double>("--settle")
        {
            Description = "seconds a file's size and mtime must stay unchanged before it is submitted (default 10)",
            DefaultValueFactory = _ => 10,
        };
        var (broker, token) = (ConvertSession.BrokerOption(), Common.TokenOption());
        var command = new Command("watch", "submit each new file in a folder once it has stopped changing, and fetch the results as they finish; runs until SIGTERM or Ctrl-C")
            { folder, profile, output, settle, broker, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = parse.GetValue(folder)!;
            if (!Directory.Exists(dir))
            {
                throw new CliException($"{dir}: no such folder");
            }
            var seconds = parse.GetValue(settle);
            if (!double.IsFinite(seconds) || seconds < 0 || seconds > 86_400)
            {
                throw new CliException("--settle must be 0 to 86400 seconds", ExitCodes.Usage);
            }
            var options = new WatchOptions(dir, parse.GetValue(profile)!, parse.GetValue(output)!, TimeSpan.FromSeconds(seconds));
            using var session = ConvertSession.Open(parse, broker, token);
            await CheckProfileAsync(console, session, options.Profile, cancellationToken).ConfigureAwait(false);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"watching {Path.GetFullPath(dir)} for {options.Profile} (settle {seconds:0.###} s), outputs to {Path.GetFullPath(options.OutFolder)}; Ctrl-C stops"));
            var watch = new FolderWatch(options, session.Broker, session.BrokerKey, session.Store, session.Submitter, session.Sync, session.Fetcher, session.Time,
                line => console.Out.WriteLine(line), line => console.Error.WriteLine("mfleet: " + line));
            await watch.RunAsync(stop.Token).ConfigureAwait(false);
            console.Out.WriteLine("watch stopped");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A profile the broker does not have ends the watch at once; a broker that does not answer yet does not.</summary>
    private static async Task CheckProfileAsync(CliConsole console, ConvertSession session, string profile, CancellationToken cancellationToken)
    {
        IReadOnlyList<ProfileDto> profiles;
        try
        {
            profiles = await session.Broker.GetProfilesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (BrokerSync.Silence(e, cancellationToken) is { } reason)
        {
            console.Error.WriteLine($"mfleet: the broker {session.Url} does not answer ({reason}); watching anyway");
            return;
        }
        if (profiles.All(p => p.Name != profile))
        {
            throw new CliException($"unknown profile '{profile}' (the broker has {string.Join(", ", profiles.Select(p => p.Name))})");
        }
    }
}
