using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Coordinator;

namespace MediaFleet.Coordinator.Tests.Nginx;

/// <summary>
/// Sends the heartbeats of made-up nodes to a coordinator every period until disposed, as real nodes would, so a
/// test decides exactly what each node reports. Sends never overlap, so a changed heartbeat is never followed by an
/// older one.
/// </summary>
internal sealed class HeartbeatPump : IAsyncDisposable
{
    private readonly CoordinatorClient _client;
    private readonly Dictionary<string, HeartbeatDto> _nodes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public HeartbeatPump(CoordinatorClient client, TimeSpan period)
    {
        _client = client;
        _loop = RunAsync(period);
    }

    /// <summary>A healthy node on 127.0.0.1:<paramref name="port"/> (nothing needs to listen there).</summary>
    public static HeartbeatDto Node(string id, int port, double load = 0.3) =>
        new(id, $"127.0.0.1:{port}", $"http://127.0.0.1:{port}", load, Version: 1, Primary: false, ForceDown: false, ForceBackup: false);

    /// <summary>Sets what a node reports from now on and sends it at once.</summary>
    public async Task SetAsync(HeartbeatDto heartbeat)
    {
        await _sending.WaitAsync();
        try
        {
            _nodes[heartbeat.Id] = heartbeat;
            await _client.SendHeartbeatAsync(heartbeat, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task RunAsync(TimeSpan period)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await _sending.WaitAsync(_stop.Token);
                try
                {
                    foreach (var heartbeat in _nodes.Values)
                    {
                        await _client.SendHeartbeatAsync(heartbeat, _stop.Token);
                    }
                }
                finally
                {
                    _sending.Release();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop; // a refused heartbeat fails the test here
        _stop.Dispose();
        _sending.Dispose();
    }
}
