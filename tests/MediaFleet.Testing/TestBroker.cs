using MediaFleet.Contracts.Client;
using MediaFleet.Conversion.Broker;
using MediaFleet.Conversion.Worker;
using MediaFleet.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Testing;

/// <summary>
/// A real broker (real Kestrel on 127.0.0.1, port 0) in this process, with its own data folder, and workers beside it
/// on demand. Disposing it stops the workers and the broker and removes the folders it owns.
/// </summary>
public sealed class TestBroker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempFolder? _ownedFolder;
    private readonly List<(WebApplication App, TempFolder Scratch)> _workers = [];

    private TestBroker(WebApplication app, string data, TempFolder? ownedFolder)
    {
        _app = app;
        Data = data;
        _ownedFolder = ownedFolder;
        Url = RoleHost.BoundUrls(app.Services)[0];
        Client = new BrokerClient(NodeClient.CreateHttp(new Uri(Url), TestNode.Token));
    }

    public string Url { get; }

    /// <summary>The broker's folder (broker.db, jobs/, tmp/).</summary>
    public string Data { get; }

    /// <summary>A client that sends the cluster token.</summary>
    public BrokerClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a broker with <see cref="TestNode.Token"/> as its cluster token; <paramref name="settings"/> override (e.g. Broker:LeaseSeconds).</summary>
    public static async Task<TestBroker> StartAsync(string? data = null, IDictionary<string, string?>? settings = null)
    {
        var owned = data is null ? new TempFolder("mfleet-broker-") : null;
        data ??= owned!.Path;
        var values = new Dictionary<string, string?>
        {
            ["Broker:Data"] = data,
            ["Broker:Listen"] = "http://127.0.0.1:0",
            ["Broker:ReserveBytes"] = "0",
            ["Auth:Token"] = TestNode.Token,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var app = BrokerApp.Build(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), Quiet);
        await app.StartAsync();
        return new TestBroker(app, data, owned);
    }

    /// <summary>Starts an in-process worker on this broker with its own scratch folder; returns the folder.</summary>
    public async Task<string> StartWorkerAsync(IDictionary<string, string?>? settings = null)
    {
        var scratch = new TempFolder("mfleet-scratch-");
        var values = new Dictionary<string, string?>
        {
            ["Worker:Broker"] = Url,
            ["Worker:Scratch"] = scratch.Path,
            ["Worker:Listen"] = "http://127.0.0.1:0",
            ["Worker:MarginBytes"] = "0",
            ["Worker:LeaseWaitSeconds"] = "2",
            ["Auth:Token"] = TestNode.Token,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var app = WorkerApp.Build(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), Quiet);
        await app.StartAsync();
        _workers.Add((app, scratch));
        return scratch.Path;
    }

    /// <summary>Waits until job <paramref name="id"/> reaches <paramref name="state"/> (or fails the test after <paramref name="timeout"/>).</summary>
    public async Task<Contracts.Conversion.JobDto> WaitForStateAsync(string id, string state, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var job = await Client.GetJobAsync(id, cancel.Token);
            if (job.State == state)
            {
                return job;
            }
            if (cancel.IsCancellationRequested)
            {
                throw new TimeoutException($"job {id} is {job.State} ({job.Error}), not {state}");
            }
            try
            {
                await Task.Delay(100, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"job {id} is {job.State} ({job.Error}), not {state}");
            }
        }
    }

    private static void Quiet(ILoggingBuilder logging) =>
        logging.SetMinimumLevel(Environment.GetEnvironmentVariable("MFLEET_TEST_LOG") is null ? LogLevel.Warning : LogLevel.Debug);

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var (app, scratch) in _workers)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            scratch.Dispose();
        }
        Client.Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _ownedFolder?.Dispose();
    }
}
