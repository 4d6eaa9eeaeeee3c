using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Tls;
using MediaFleet.Conversion.Broker;
using MediaFleet.Conversion.Profiles;
using MediaFleet.Conversion.Worker;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Hosting;
using MediaFleet.Node.Configuration;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Cli.Doctor;

/// <summary>
/// What <c>mfleet doctor</c> checks for each role section in a configuration, in the order a reader fixes things: the
/// settings, the token, folders and space, ports, the programs the role runs, the roles it talks to and their clocks.
/// </summary>
/// <param name="configuration">The settings as the roles read them: the file, then MFLEET_ variables, then flags.</param>
/// <param name="configFile">The <c>--config</c> file, when one was given.</param>
/// <param name="fromFile">That file's settings alone (empty without one).</param>
internal sealed class Examination(IConfiguration configuration, string? configFile, IConfiguration fromFile, TimeProvider time)
{
    /// <summary>The role sections <c>doctor</c> knows, as in DESIGN.md section 10.</summary>
    public static readonly string[] Roles = [NodeOptions.Section, CoordinatorOptions.Section, BrokerOptions.Section, WorkerOptions.Section];

    private readonly AuthOptions _auth = AuthOptions.From(configuration);
    private readonly TlsOptions _tls = TlsOptions.From(configuration);

    private ClusterHttp Cluster => new(_auth.Token, ClientTls.From(_tls));

    private RemoteCheck Remote => new(Cluster, !string.IsNullOrEmpty(_auth.Token), time);

    public async Task<IReadOnlyList<Finding>> RunAsync(IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        if (Environment.IsPrivilegedProcess)
        {
            findings.Add(Finding.Warn("user", "running as root, which may write where the service's user cannot: run it as that user (sudo -u mfleet mfleet doctor …) for its view"));
        }
        findings.Add(TokenCheck.Check(_auth, configFile, fromFile));
        findings.AddRange(Settings("tls", _tls.Validate([])));
        foreach (var role in roles)
        {
            findings.AddRange(role switch
            {
                NodeOptions.Section => await NodeAsync(cancellationToken).ConfigureAwait(false),
                CoordinatorOptions.Section => await CoordinatorAsync(cancellationToken).ConfigureAwait(false),
                BrokerOptions.Section => await BrokerAsync(cancellationToken).ConfigureAwait(false),
                _ => await WorkerAsync(cancellationToken).ConfigureAwait(false),
            });
        }
        return findings;
    }

    private async Task<List<Finding>> NodeAsync(CancellationToken cancellationToken)
    {
        var options = NodeOptions.From(configuration);
        var findings = Settings("node", options.Validate().Concat(ScrubOptions.From(configuration).Validate()));
        if (!string.IsNullOrWhiteSpace(options.Data))
        {
            findings.AddRange(FolderChecks.Check("node", "data folder", options.Data, Path.Combine(Path.GetFullPath(options.Data), ".mfleet", "tmp"),
                options.ReserveBytes, "Node:ReserveBytes"));
        }
        findings.Add(await PortCheck.CheckAsync("node listen", options.Listen, "mfleet-node", options.Id, Cluster, cancellationToken).ConfigureAwait(false));
        if (options.Upstream is not null)
        {
            findings.AddRange(await Remote.NodeAsync("node upstream", options.Upstream, cancellationToken).ConfigureAwait(false));
        }
        if (options.Coordinator is not null)
        {
            findings.AddRange(await Remote.CoordinatorAsync("node coordinator", options.Coordinator, cancellationToken).ConfigureAwait(false));
        }
        return findings;
    }

    private async Task<List<Finding>> CoordinatorAsync(CancellationToken cancellationToken)
    {
        var options = CoordinatorOptions.From(configuration);
        var findings = Settings("coordinator", options.Validate().Concat(ScoreOptions.From(configuration).Validate()));
        findings.Add(await PortCheck.CheckAsync("coordinator listen", options.Listen, "mfleet-coordinator", null, Cluster, cancellationToken).ConfigureAwait(false));
        if (options.Proxy is not null)
        {
            // The balancer's port is the coordinator's too: a running coordinator holds it.
            findings.Add(await PortCheck.CheckAsync("coordinator proxy", options.Proxy, "mfleet-coordinator", null, Cluster, cancellationToken).ConfigureAwait(false));
        }
        if (options.NginxConf is not null)
        {
            findings.Add(NginxFile(options.NginxConf));
            findings.Add(await ToolCheck.CommandAsync("coordinator nginx test", options.NginxTest, cancellationToken).ConfigureAwait(false));
        }
        return findings;
    }

    private async Task<List<Finding>> BrokerAsync(CancellationToken cancellationToken)
    {
        var options = BrokerOptions.From(configuration);
        var findings = Settings("broker", options.Validate().Concat(ProfileCatalog.From(configuration).Errors));
        if (!string.IsNullOrWhiteSpace(options.Data))
        {
            findings.AddRange(FolderChecks.Check("broker", "data folder", options.Data, Path.Combine(Path.GetFullPath(options.Data), "tmp"),
                options.ReserveBytes, "Broker:ReserveBytes"));
        }
        findings.Add(await PortCheck.CheckAsync("broker listen", options.Listen, "mfleet-broker", null, Cluster, cancellationToken).ConfigureAwait(false));
        // The broker probes every input and output itself (DESIGN.md section 8).
        findings.Add(await ToolCheck.VersionAsync("broker ffprobe", "ffprobe", cancellationToken).ConfigureAwait(false));
        if (options.Node is not null)
        {
            findings.AddRange(await Remote.NodeAsync("broker node", options.Node, cancellationToken).ConfigureAwait(false));
        }
        return findings;
    }

    private async Task<List<Finding>> WorkerAsync(CancellationToken cancellationToken)
    {
        var options = WorkerOptions.From(configuration);
        var findings = Settings("worker", options.Validate());
        if (!string.IsNullOrWhiteSpace(options.Scratch))
        {
            findings.AddRange(FolderChecks.Check("worker", "scratch", options.Scratch, null, options.MarginBytes, "Worker:MarginBytes"));
        }
        findings.Add(await PortCheck.CheckAsync("worker listen", options.Listen, "mfleet-worker", options.Id, Cluster, cancellationToken).ConfigureAwait(false));
        findings.Add(await ToolCheck.VersionAsync("worker ffmpeg", "ffmpeg", cancellationToken).ConfigureAwait(false));
        findings.Add(await ToolCheck.VersionAsync("worker ffprobe", "ffprobe", cancellationToken).ConfigureAwait(false));
        if (RoleUrls.IsHttpUrl(options.Broker))
        {
            findings.AddRange(await Remote.BrokerAsync("worker broker", options.Broker, cancellationToken).ConfigureAwait(false));
        }
        return findings;
    }

    /// <summary>The coordinator reads the nginx file and writes its candidate beside it (same folder, for an atomic rename).</summary>
    private static Finding NginxFile(string file)
    {
        const string Check = "coordinator nginx file";
        var path = Path.GetFullPath(file);
        if (!File.Exists(path))
        {
            return Finding.Fail(Check, $"{path}: no such file");
        }
        try
        {
            using (File.OpenRead(path))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Finding.Fail(Check, $"{path} cannot be read: {e.Message}");
        }
        var folder = Path.GetDirectoryName(path)!;
        return FolderChecks.Probe(folder) is { } refusal
            ? Finding.Fail(Check, $"{folder} is not writable, so the new file cannot be put beside {Path.GetFileName(path)}: {refusal}")
            : Finding.Ok(Check, $"{path} is readable and its folder writable");
    }

    /// <summary>One failed line per invalid setting (the role would not start), or one ok line.</summary>
    private static List<Finding> Settings(string role, IEnumerable<string> errors)
    {
        var failed = errors.Select(e => Finding.Fail($"{role} settings", e)).ToList();
        return failed.Count > 0 || role == "tls" ? failed : [Finding.Ok($"{role} settings", "valid")];
    }
}
