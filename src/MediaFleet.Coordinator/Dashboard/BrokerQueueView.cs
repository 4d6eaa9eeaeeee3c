using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Hosting;

namespace MediaFleet.Coordinator.Dashboard;

/// <summary>
/// The broker's queue for the dashboard (<c>Coordinator:Broker</c>), fetched server-side with the cluster token when a
/// page asks, at most once per <see cref="Fresh"/> however many pages are open, and one fetch at a time. When the broker
/// cannot be reached the last answer it gave is kept, with the reason it could not be fetched now.
/// </summary>
internal sealed class BrokerQueueView : IDisposable
{
    /// <summary>The newest jobs shown beside the running ones.</summary>
    public const int Latest = 10;

    /// <summary>Under the pages' 2 s poll, so each poll sees a fresh queue; over it, pages share one fetch.</summary>
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1.5);

    /// <summary>A page waits no longer than this for a broker that does not answer.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly string _url;
    private readonly HttpClient _http;
    private readonly BrokerClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger<BrokerQueueView> _logger;
    private readonly Lock _gate = new();
    private (DashboardBrokerDto View, DateTimeOffset At)? _last;
    private Task<DashboardBrokerDto>? _fetching;
    private QueueDto? _lastQueue;
    private DateTimeOffset? _lastQueueAt;
    private string? _loggedFailure;

    public BrokerQueueView(CoordinatorOptions options, ClusterHttp cluster, TimeProvider time, ILogger<BrokerQueueView> logger)
    {
        _url = options.Broker ?? throw new ArgumentException("no broker configured", nameof(options));
        _http = cluster.Create(new Uri(_url), Patience);
        _client = new BrokerClient(_http);
        _time = time;
        _logger = logger;
    }

    /// <summary>The queue as fetched within the last <see cref="Fresh"/>, else fetched now.</summary>
    public Task<DashboardBrokerDto> GetAsync(CancellationToken cancellationToken)
    {
        Task<DashboardBrokerDto> fetching;
        lock (_gate)
        {
            if (_last is { } last && _time.GetUtcNow() - last.At < Fresh)
            {
                return Task.FromResult(last.View);
            }
            // Shared by every page asking meanwhile, so not cancelled by one of them leaving: Patience bounds it.
            fetching = _fetching ??= FetchAsync();
        }
        return fetching.WaitAsync(cancellationToken);
    }

    private async Task<DashboardBrokerDto> FetchAsync()
    {
        await Task.Yield(); // out of the caller's lock before the first byte is sent
        DashboardBrokerDto view;
        string? failure = null;
        try
        {
            var queue = await _client.GetQueueAsync(Latest, CancellationToken.None).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            view = new DashboardBrokerDto(_url, true, null, now, queue);
            lock (_gate)
            {
                _lastQueue = queue;
                _lastQueueAt = now;
            }
        }
        catch (Exception e)
        {
            // Whatever the broker answers (nothing, a refusal, garbage), the rest of the dashboard is still shown.
            failure = e is TaskCanceledException ? $"no answer within {Patience.TotalSeconds} s" : e.Message;
            lock (_gate)
            {
                view = new DashboardBrokerDto(_url, false, failure, _lastQueueAt, _lastQueue);
            }
        }
        if (failure != _loggedFailure)
        {
            if (failure is null)
            {
                Log.BrokerReachedAgain(_logger, _url);
            }
            else
            {
                Log.BrokerUnreachable(_logger, _url, failure);
            }
            _loggedFailure = failure;
        }
        lock (_gate)
        {
            _last = (view, _time.GetUtcNow());
            _fetching = null;
        }
        return view;
    }

    public void Dispose() => _http.Dispose();
}
