using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MediaFleet.Coordinator;
using MediaFleet.Hosting.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Cli.Demo;

/// <summary>
/// The demo's load balancer: a real nginx in a folder of the demo when one is installed (its upstream file kept by
/// the coordinator), else the coordinator's built-in balancer. Owns the nginx process and the coordinator.
/// </summary>
internal sealed class DemoBalancer : IAsyncDisposable
{
    public const double Interval = 0.5;

    private readonly string _folder;
    private ChildProcess? _nginx;
    private WebApplication? _coordinator;

    private DemoBalancer(string folder, int coordinatorPort)
    {
        _folder = folder;
        CoordinatorUrl = $"http://127.0.0.1:{coordinatorPort}";
    }

    /// <summary>Where nodes send heartbeats; chosen before any node starts, so they can be told at start-up.</summary>
    public string CoordinatorUrl { get; }

    /// <summary>Where clients go: nginx, or the built-in balancer.</summary>
    public string? BalancerUrl { get; private set; }

    /// <summary>The nginx upstream file the coordinator keeps, or null with the built-in balancer.</summary>
    public string? UpstreamFile { get; private set; }

    /// <summary>The response header that names the server that answered.</summary>
    public string ServerHeader => _nginx is null ? "MFleet-Node" : "X-Upstream";

    /// <summary>
    /// Reloads nginx has finished: new workers started and old ones told to close (read off its notice-level log),
    /// so a request sent now meets the new configuration.
    /// </summary>
    public int NginxReloadsApplied()
    {
        var log = Path.Combine(_folder, "nginx", "error.log");
        if (_nginx is null || !File.Exists(log))
        {
            return 0;
        }
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var text = new StreamReader(stream).ReadToEnd();
        var started = text.Split('\n').Count(l => l.EndsWith("start worker processes", StringComparison.Ordinal)) - 1;
        var closing = text.Split('\n').Count(l => l.EndsWith("gracefully shutting down", StringComparison.Ordinal));
        return Math.Min(started, closing);
    }

    public static DemoBalancer Prepare(string folder) => new(folder, FreePort());

    /// <summary>Makes the coordinator gather and score now.</summary>
    public Task ScoreNowAsync(CancellationToken cancellationToken) => CoordinatorApp.ScoreNowAsync(_coordinator!, cancellationToken);

    /// <summary>nginx from PATH or /usr/sbin, or null.</summary>
    public static string? FindNginx() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin")
            .Select(dir => Path.Combine(dir, "nginx"))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// Writes the upstream file naming <paramref name="servers"/>, starts nginx on it (when <paramref name="nginx"/> is
    /// given) and the coordinator keeping it; without nginx, the coordinator balances itself.
    /// </summary>
    public async Task StartAsync(string? nginx, IEnumerable<string> servers, string token, LogLevel logLevel, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Coordinator:Listen"] = CoordinatorUrl,
            ["Coordinator:HeartbeatInterval"] = Interval.ToString(CultureInfo.InvariantCulture),
            ["Coordinator:ReloadDebounce"] = "0.5",
            // Score often, and let a stopped node's copies stop counting soon, so the demo shows the score move.
            ["Score:RefreshSeconds"] = "0.3",
            ["Score:ServerTtlSeconds"] = "5",
            // One machine runs every demo node and they all report its one load average: load cannot tell them apart here.
            ["Coordinator:BackupThreshold"] = "1000",
            ["Coordinator:DownThreshold"] = "2000",
            ["Auth:Token"] = token,
        };
        if (nginx is not null)
        {
            var folder = Path.Combine(_folder, "nginx");
            Directory.CreateDirectory(folder);
            UpstreamFile = Path.Combine(folder, "upstream.conf");
            var lines = string.Concat(servers.Select(s => $"server {s};\n"));
            await File.WriteAllTextAsync(UpstreamFile,
                "# kept by mfleet coordinator: it adds and removes only 'backup' and 'down'\n" +
                "# the demo's nodes share one machine and report its one load average: load cannot tell them apart\n" +
                "# backup_threshold=1000 down_threshold=2000\n" + lines, cancellationToken).ConfigureAwait(false);
            var port = FreePort();
            await File.WriteAllTextAsync(Path.Combine(folder, "nginx.conf"), MainConfig(folder, port), cancellationToken).ConfigureAwait(false);
            var options = $"-p {folder}/ -e {folder}/error.log -c {folder}/nginx.conf";
            settings["Coordinator:NginxConf"] = UpstreamFile;
            settings["Coordinator:NginxTest"] = $"{nginx} {options} -t -q";
            settings["Coordinator:NginxReload"] = $"{nginx} {options} -s reload";
            _nginx = StartNginx(nginx, folder);
            BalancerUrl = $"http://127.0.0.1:{port}";
            await WaitForPortAsync(port, _nginx, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            settings["Coordinator:Proxy"] = "http://127.0.0.1:0";
        }
        _coordinator = await CoordinatorApp.BuildAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(),
            logging => logging.SetMinimumLevel(logLevel)).ConfigureAwait(false);
        await _coordinator.StartAsync(cancellationToken).ConfigureAwait(false);
        BalancerUrl ??= CoordinatorApp.ProxyUrl(_coordinator);
    }

    private static ChildProcess StartNginx(string nginx, string folder) =>
        ChildProcess.Start(new ChildProcessStart(nginx, NginxArguments(folder)));

    /// <summary>The words that point nginx at the demo's folder, for the server and for its signal commands alike.</summary>
    private static string[] NginxArguments(string folder, params string[] more) =>
        ["-p", folder + "/", "-e", Path.Combine(folder, "error.log"), "-c", Path.Combine(folder, "nginx.conf"), .. more];

    private async Task WaitForPortAsync(int port, ChildProcess process, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        while (true)
        {
            if (process.HasExited)
            {
                var log = Path.Combine(_folder, "nginx", "error.log");
                throw new CliException($"nginx did not start: {(File.Exists(log) ? (await File.ReadAllTextAsync(log, cancellationToken).ConfigureAwait(false)).Trim() : "no log")}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, deadline.Token).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, deadline.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The demo's nginx: daemon off, so the process handle is the master; no temp files (the demo folder is private);
    /// the answering server in a header; a dead server's request tried on the next.
    /// </summary>
    private static string MainConfig(string folder, int port) => $$"""
        daemon off;
        master_process on;
        worker_processes 1;
        pid {{folder}}/nginx.pid;
        error_log {{folder}}/error.log notice;
        events { worker_connections 256; }
        http {
            access_log {{folder}}/access.log;
            client_body_temp_path {{folder}}/client_body_temp;
            proxy_temp_path {{folder}}/proxy_temp;
            fastcgi_temp_path {{folder}}/fastcgi_temp;
            uwsgi_temp_path {{folder}}/uwsgi_temp;
            scgi_temp_path {{folder}}/scgi_temp;
            upstream mfleet { include {{folder}}/upstream.conf; }
            server {
                listen 127.0.0.1:{{port}};
                location /files/ {
                    proxy_pass http://mfleet;
                    proxy_max_temp_file_size 0;
                    add_header X-Upstream $upstream_addr always;
                }
            }
        }

        """;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_coordinator is not null)
        {
            await _coordinator.StopAsync().ConfigureAwait(false);
            await _coordinator.DisposeAsync().ConfigureAwait(false);
            _coordinator = null;
        }
        if (_nginx is { } nginx)
        {
            _nginx = null;
            await using (nginx.ConfigureAwait(false))
            {
                // SIGQUIT through nginx's own signal command (it reads the master's pid file): a graceful stop of master and workers.
                var folder = Path.Combine(_folder, "nginx");
                try
                {
                    await ChildProcess.RunAsync(new ChildProcessStart(nginx.Program, NginxArguments(folder, "-s", "quit")), CancellationToken.None).ConfigureAwait(false);
                }
                catch (ChildProcessStartException)
                {
                    // Then the kill below ends it.
                }
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    // A wait cut short kills the whole tree.
                    await nginx.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }
}
