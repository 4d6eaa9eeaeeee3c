using System.Net;
using System.Net.Sockets;

namespace MediaFleet.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a target port that, while its faults are on, treats each new connection as a
/// seeded <see cref="Random"/> decides: forward it, cut it after N answer bytes (FIN or RST), or stall it after N answer
/// bytes, half-open: the connection stays up and nothing more is forwarded for S seconds, or until the proxy goes.
/// Decisions are drawn in the order connections arrive, so a seed replays the same decisions, not the same timing.
/// </summary>
public sealed class ChaosProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly Random _random;
    private readonly ChaosSettings _settings;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;
    private long _connectionCount;
    private long _cuts;
    private long _stalls;
    private long _forwarded;
    private volatile bool _faulty = true;
    private int _disposed;

    public ChaosProxy(int targetPort, int seed, ChaosSettings? settings = null)
    {
        _targetPort = targetPort;
        _random = new Random(seed);
        _settings = settings ?? new ChaosSettings();
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections accepted, cut and stalled so far, and answer bytes forwarded.</summary>
    public (long Connections, long Cuts, long Stalls, long Bytes) Counts =>
        (Interlocked.Read(ref _connectionCount), Interlocked.Read(ref _cuts), Interlocked.Read(ref _stalls), Interlocked.Read(ref _forwarded));

    /// <summary>New connections are forwarded faithfully from now on; connections already cut or stalled stay so.</summary>
    public void Calm() => _faulty = false;

    private Fate Decide()
    {
        if (!_faulty)
        {
            return Fate.Forward;
        }
        lock (_random)
        {
            var roll = _random.NextDouble();
            // Uniform in log space: as many cuts in the first KiB (headers, small bodies) as deep in a large body.
            var after = (long)Math.Exp(_random.NextDouble() * Math.Log(_settings.MaxBytesBeforeFault + 1)) - 1;
            if (roll < _settings.CutProbability)
            {
                return new Fate(FateKind.Cut, after, TimeSpan.Zero, Reset: _random.Next(2) == 0);
            }
            if (roll < _settings.CutProbability + _settings.StallProbability)
            {
                var forever = _random.NextDouble() < _settings.EndlessStallProbability;
                var seconds = _settings.MinStallSeconds + (_random.NextDouble() * (_settings.MaxStallSeconds - _settings.MinStallSeconds));
                return new Fate(FateKind.Stall, after, forever ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds), Reset: false);
            }
            return Fate.Forward;
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connectionCount);
                var fate = Decide();
                _ = Task.Run(() => ServeAsync(client, fate));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client, Fate fate)
    {
        using var target = new TcpClient();
        lock (_connections)
        {
            _connections.Add(client);
            _connections.Add(target);
        }
        try
        {
            await target.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            var up = client.GetStream().CopyToAsync(target.GetStream(), _stop.Token);
            var down = PumpDownAsync(target.GetStream(), client, fate);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            lock (_connections)
            {
                _connections.Remove(client);
                _connections.Remove(target);
            }
        }
    }

    private async Task PumpDownAsync(NetworkStream from, TcpClient client, Fate fate)
    {
        var to = client.GetStream();
        var buffer = new byte[64 * 1024];
        long sent = 0;
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (fate.Kind != FateKind.Forward && sent + read > fate.After)
            {
                var part = (int)(fate.After - sent);
                await to.WriteAsync(buffer.AsMemory(0, part), _stop.Token);
                Interlocked.Add(ref _forwarded, part);
                if (fate.Kind == FateKind.Cut)
                {
                    Interlocked.Increment(ref _cuts);
                    if (fate.Reset)
                    {
                        client.LingerState = new LingerOption(true, 0);
                    }
                    return;
                }
                Interlocked.Increment(ref _stalls);
                // Half-open: the socket stays up and silent. The client's own timeout, if it has one, ends this early:
                // its close ends the upward copy, and with it the connection.
                await Task.Delay(fate.StallFor, _stop.Token);
                await to.WriteAsync(buffer.AsMemory(part, read - part), _stop.Token);
                Interlocked.Add(ref _forwarded, read - part);
                fate = Fate.Forward;
                continue;
            }
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            sent += read;
            Interlocked.Add(ref _forwarded, read);
        }
    }

    /// <summary>Closes every connection and the listener; safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }
        await _accepting;
        _stop.Dispose();
    }

    private enum FateKind
    {
        Forward,
        Cut,
        Stall,
    }

    private sealed record Fate(FateKind Kind, long After, TimeSpan StallFor, bool Reset)
    {
        public static readonly Fate Forward = new(FateKind.Forward, 0, TimeSpan.Zero, false);
    }
}

/// <summary>How often a <see cref="ChaosProxy"/> faults new connections, and how.</summary>
public sealed record ChaosSettings
{
    /// <summary>Share of connections cut after some answer bytes.</summary>
    public double CutProbability { get; init; } = 0.3;

    /// <summary>Share of connections that stall after some answer bytes.</summary>
    public double StallProbability { get; init; } = 0.15;

    /// <summary>Share of stalls that never end (a peer gone without a word, as behind a NAT that forgot the flow).</summary>
    public double EndlessStallProbability { get; init; } = 0.5;

    public double MinStallSeconds { get; init; } = 1;

    public double MaxStallSeconds { get; init; } = 20;

    /// <summary>A fault strikes after 0 to this many answer bytes of the connection.</summary>
    public long MaxBytesBeforeFault { get; init; } = 8L << 20;
}
