using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Hosting;
using MediaFleet.Library.Store;
using MediaFleet.Node.Configuration;
using MediaFleet.Node.Status;

namespace MediaFleet.Node.Heartbeat;

/// <summary>
/// Tells the coordinator every <c>HeartbeatInterval</c> how this node is (DESIGN.md section 6), and on SIGTERM sends one
/// last heartbeat with <c>force_down</c> while the file API still serves, so the balancer lets it go first.
/// </summary>
internal sealed class HeartbeatSender : BackgroundService
{
    private readonly LibraryStore _store;
    private readonly NodeOptions _options;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IServiceProvider _services;
    private readonly ILogger<HeartbeatSender> _logger;
    private readonly HttpClient _http;
    private readonly CoordinatorClient _client;
    private string? _failing;
    private (string Address, string Url)? _self;

    public HeartbeatSender(LibraryStore store, NodeOptions options, ClusterHttp cluster, TimeProvider time, IHostApplicationLifetime lifetime, IServiceProvider services, ILogger<HeartbeatSender> logger)
    {
        _store = store;
        _options = options;
        _time = time;
        _lifetime = lifetime;
        _services = services;
        _logger = logger;
        // A heartbeat older than an interval is worth less than the next one: never wait longer for it.
        _http = cluster.Create(new Uri(options.Coordinator!), TimeSpan.FromSeconds(Math.Max(1, options.HeartbeatInterval)));
        _client = new CoordinatorClient(_http);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The address is known only once the server has bound its port (port 0 in tests).
        await WhenStartedAsync(stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.HeartbeatInterval), _time);
        // The coordinator's failures are SendAsync's own; this is for the unexpected (a status that cannot be read).
        var health = new LoopGuard(_logger, "heartbeat sender");
        do
        {
            try
            {
                await SendAsync(leaving: false, stoppingToken).ConfigureAwait(false);
                health.Succeeded();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                health.Failed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_self is null)
        {
            return; // never started serving: nothing to take back
        }
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        leave.CancelAfter(TimeSpan.FromSeconds(2));
        await SendAsync(leaving: true, leave.Token).ConfigureAwait(false);
        Log.LeftBalancer(_logger, _options.Coordinator!);
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private async Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = _lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        _self = Self();
    }

    /// <summary>HOST:PORT for nginx and the URL for other nodes: the advertised address, else the bound one.</summary>
    private (string Address, string Url) Self()
    {
        var bound = new Uri(RoleHost.BoundUrls(_services).FirstOrDefault() ?? _options.Listen);
        var address = _options.Advertise ?? $"{bound.Host}:{bound.Port}";
        if (_options.Advertise is null && bound.Host is "0.0.0.0" or "[::]" or "*" or "+")
        {
            Log.NoAdvertise(_logger, address);
        }
        return (address, $"{bound.Scheme}://{address}");
    }

    private async Task SendAsync(bool leaving, CancellationToken cancellationToken)
    {
        var status = StatusEndpoints.Describe(_store, _options);
        var (address, url) = _self!.Value;
        var heartbeat = new HeartbeatDto(status.Id, address, url, status.Load, status.Version, status.Primary,
            status.ForceDown || leaving, status.ForceBackup, status.SeenVersion, status.Site, status.Missing, status.FreeBytes, _time.GetUtcNow());
        try
        {
            await _client.SendHeartbeatAsync(heartbeat, cancellationToken).ConfigureAwait(false);
            if (_failing is not null)
            {
                Log.CoordinatorBack(_logger, _options.Coordinator!);
                _failing = null;
            }
        }
        catch (Exception e) when (e is HttpRequestException or MediaFleetException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Said once per kind of failure: a coordinator that is down for an hour must not fill the log.
            var reason = e.Message;
            if (_failing != reason)
            {
                Log.CoordinatorUnreachable(_logger, _options.Coordinator!, reason);
                _failing = reason;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && leaving)
        {
            Log.CoordinatorUnreachable(_logger, _options.Coordinator!, "the last heartbeat did not get through in 2 s");
        }
    }
}
