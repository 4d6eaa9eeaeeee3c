using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace MediaFleet.Testing;

/// <summary>
/// A real nginx (master and one worker) on 127.0.0.1 with every file it touches in its own temp folder: the
/// coordinator's end-to-end tests point it at <see cref="UpstreamPath"/>, <see cref="TestCommand"/> and
/// <see cref="ReloadCommand"/>. Ended by its own process handle, never by name.
/// </summary>
public sealed partial class NginxServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/nginx";

    /// <summary>The upstream that <c>proxy_pass</c> uses; a whole block passed in must carry this name.</summary>
    public const string UpstreamName = "mfleet";

    private const int SigTerm = 15;
    private const string BrokenDirective = "mfleet_broken_on_purpose;\n";

    private readonly TempFolder _folder;
    private readonly Process _process;
    private readonly string _mainConfig;
    private readonly HttpClient _http;
    private int _disposed;

    private NginxServer(TempFolder folder, Process process, int port, string mainConfig)
    {
        _folder = folder;
        _process = process;
        _mainConfig = mainConfig;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
    }

    public static bool IsInstalled => File.Exists(Binary);

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The temp folder nginx uses as its prefix; it holds every file below.</summary>
    public string Folder => _folder.Path;

    public string ConfPath => _folder.Combine("nginx.conf");

    /// <summary>The file the coordinator rewrites (its <c>--nginx-conf</c>).</summary>
    public string UpstreamPath => _folder.Combine("upstream.conf");

    public string ErrorLogPath => _folder.Combine("error.log");

    /// <summary>The coordinator's <c>--nginx-test</c>: space-separated, no quoting needed.</summary>
    public string TestCommand => $"{Binary} {GlobalOptions(Folder)} -t -q";

    /// <summary>The coordinator's <c>--nginx-reload</c>; it returns once the signal is sent, not when the reload is done.</summary>
    public string ReloadCommand => $"{Binary} {GlobalOptions(Folder)} -s reload";

    /// <summary>What nginx, <c>nginx -t</c> and <c>nginx -s</c> logged so far (level notice and above).</summary>
    public string ErrorLog => ReadLog(ErrorLogPath);

    /// <summary>
    /// Reloads that took effect. On SIGHUP nginx 1.22 logs "signal 1 (SIGHUP) received from N, reconfiguring" and
    /// "reconfiguring" even when the new config is bad (then an [emerg] line follows), so this counts
    /// "start worker processes" instead, which only a good config reaches, minus the one at start-up.
    /// </summary>
    public int ReloadCount => Math.Max(0, StartWorkersLine().Count(ErrorLog) - 1);

    /// <summary>
    /// Starts nginx with <paramref name="upstreamFileText"/> as upstream.conf. By default the text holds only server
    /// and threshold lines and nginx.conf wraps it in <c>upstream mfleet { include …; }</c>. With
    /// <paramref name="textIsUpstreamBlock"/> the text is the whole <c>upstream mfleet { … }</c> block, included at
    /// http level: the form to use for <c>hash</c>, <c>ip_hash</c> or <c>random</c>, because the coordinator looks for
    /// the balancing method inside its own file and would write <c>backup</c> where nginx forbids it otherwise.
    /// </summary>
    public static async Task<NginxServer> StartAsync(string upstreamFileText, bool textIsUpstreamBlock = false, CancellationToken cancellationToken = default)
    {
        if (!OperatingSystem.IsLinux() || !IsInstalled)
        {
            throw new InvalidOperationException($"the nginx tests need Linux and {Binary}; test.sh installs nginx from Debian when it is missing.");
        }
        var folder = new TempFolder("mfleet-nginx-");
        try
        {
            if (folder.Path.Any(char.IsWhiteSpace))
            {
                throw new InvalidOperationException($"the temp folder '{folder.Path}' has blanks, which the coordinator's command splitting cannot carry");
            }
            // Workers run as nobody and spill proxy buffers and request bodies into the temp paths below; under the
            // 0700 folder they could not, and nginx would answer 200 with a truncated body.
            File.SetUnixFileMode(folder.Path, (UnixFileMode)0b111_101_101); // 0755
            await File.WriteAllTextAsync(folder.Combine("upstream.conf"), upstreamFileText, cancellationToken);
            return await StartOnFreePortAsync(folder, textIsUpstreamBlock, cancellationToken);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>FreePort() can race with another test taking the port between our probe and nginx's bind: retry a few times.</summary>
    private static async Task<NginxServer> StartOnFreePortAsync(TempFolder folder, bool textIsUpstreamBlock, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = NodeProcess.FreePort();
            var config = MainConfig(folder.Path, port, textIsUpstreamBlock);
            await File.WriteAllTextAsync(folder.Combine("nginx.conf"), config, cancellationToken);
            File.Delete(folder.Combine("error.log"));
            var start = new ProcessStartInfo(Binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in GlobalOptions(folder.Path).Split(' '))
            {
                start.ArgumentList.Add(arg);
            }
            var process = Process.Start(start)!;
            // Errors before the error log opens go to stderr: keep them for the exception below.
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
            bool serving;
            try
            {
                serving = await WaitUntilServingAsync(process, port, folder.Combine("error.log"), TimeSpan.FromSeconds(20), cancellationToken);
            }
            catch
            {
                await StopAsync(process);
                process.Dispose();
                throw;
            }
            if (serving)
            {
                return new NginxServer(folder, process, port, config);
            }
            var log = ReadLog(folder.Combine("error.log"));
            await StopAsync(process);
            var output = await stderr;
            process.Dispose();
            if (attempt < 5 && log.Contains("Address already in use", StringComparison.Ordinal))
            {
                continue;
            }
            throw new InvalidOperationException($"nginx did not start on 127.0.0.1:{port}:\n{log}\n{output}");
        }
    }

    /// <summary>Serving means the master logged starting its worker (so the bind was its own) and the port accepts.</summary>
    private static async Task<bool> WaitUntilServingAsync(Process process, int port, string errorLog, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        while (!process.HasExited && !timeout.IsCancellationRequested)
        {
            if (StartWorkersLine().IsMatch(ReadLog(errorLog)))
            {
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
                    return true;
                }
                catch (SocketException)
                {
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return false;
                }
            }
            await Task.Delay(50, CancellationToken.None);
        }
        cancellationToken.ThrowIfCancellationRequested();
        return false;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> reloads took effect and the old worker of each began its graceful
    /// shutdown, which closes its listening socket: from then on a new connection meets the new config.
    /// </summary>
    public async Task WaitForReloadCountAsync(int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (ReloadCount < count || ShuttingDownLine().Count(ErrorLog) < count)
        {
            if (deadline.IsCancellationRequested || _process.HasExited)
            {
                throw new TimeoutException($"nginx did not finish {count} reload(s) (has {ReloadCount}):\n{ErrorLog}");
            }
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>Appends an unknown directive to nginx.conf so <c>nginx -t</c> (and a reload) fails.</summary>
    public void BreakMainConfig() => File.AppendAllText(ConfPath, BrokenDirective);

    /// <summary>Writes nginx.conf back as it was at start-up.</summary>
    public void RepairMainConfig() => File.WriteAllText(ConfPath, _mainConfig);

    /// <summary>
    /// GETs through nginx on a fresh connection (a kept-alive one could still be held by a worker of the old config)
    /// and returns the status and the upstream nginx chose (its <c>X-Upstream</c> header, e.g. 127.0.0.1:41234).
    /// </summary>
    public async Task<(HttpStatusCode Status, string? Upstream)> GetAsync(string pathAndQuery, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.ConnectionClose = true;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var upstream = response.Headers.TryGetValues("X-Upstream", out var values) ? string.Join(", ", values) : null;
        return (response.StatusCode, upstream);
    }

    /// <summary>Options every nginx command shares: -p and -c place everything in the folder; -e keeps even the
    /// messages logged before the config is read out of /var/log/nginx.</summary>
    private static string GlobalOptions(string folder) =>
        $"-p {folder}/ -e {folder}/error.log -c {folder}/nginx.conf";

    private static string MainConfig(string folder, int port, bool textIsUpstreamBlock)
    {
        var upstream = textIsUpstreamBlock
            ? $"include {folder}/upstream.conf;"
            : $"upstream {UpstreamName} {{ include {folder}/upstream.conf; }}";
        // daemon off: the started process is the master, so its handle ends nginx. proxy_next_upstream off: a request
        // shows the server the file picked (a dead one answers 502 with its address) instead of silently falling over
        // to another. Notice level makes reloads visible in the log.
        return $$"""
            daemon off;
            master_process on;
            worker_processes 1;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log notice;
            events {
                worker_connections 256;
            }
            http {
                access_log {{folder}}/access.log;
                client_body_temp_path {{folder}}/client_body_temp;
                proxy_temp_path {{folder}}/proxy_temp;
                fastcgi_temp_path {{folder}}/fastcgi_temp;
                uwsgi_temp_path {{folder}}/uwsgi_temp;
                scgi_temp_path {{folder}}/scgi_temp;
                {{upstream}}
                server {
                    listen 127.0.0.1:{{port}};
                    location / {
                        proxy_pass http://{{UpstreamName}};
                        proxy_next_upstream off;
                        add_header X-Upstream $upstream_addr always;
                    }
                }
            }

            """;
    }

    /// <summary>The log as written so far; nginx keeps it open for writing, so share it rather than fail.</summary>
    private static string ReadLog(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    /// <summary>SIGTERM is nginx's fast shutdown and takes the workers down too; SIGKILL (Process.Kill) would orphan them.</summary>
    private static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }
        _ = Kill(process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>Stops nginx and removes the folder; safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _http.Dispose();
        await StopAsync(_process);
        _process.Dispose();
        _folder.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"\[notice\] \d+#\d+: start worker processes$", RegexOptions.Multiline)]
    private static partial Regex StartWorkersLine();

    [GeneratedRegex(@"\[notice\] \d+#\d+: gracefully shutting down$", RegexOptions.Multiline)]
    private static partial Regex ShuttingDownLine();
}
