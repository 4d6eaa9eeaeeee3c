using System.Net;
using System.Net.Sockets;

namespace MediaFleet.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 that forwards to a target port and, while closed, holds back answer bytes past a
/// limit per connection: a transfer through it stops part-way (the connection open and silent), deterministically,
/// until the gate opens. With <c>cut</c>, it closes each connection at the limit instead (a link that drops).
/// </summary>
public sealed class GatedProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly long _limit;
    private readonly bool _cut;
    private readonly int _held;
    private int _served;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="heldConnections">Only this many first connections meet the limit; later ones flow (null: all).</param>
    public GatedProxy(int targetPort, long limit, bool cut = false, int? heldConnections = null)
    {
        _targetPort = targetPort;
        _limit = limit;
        _cut = cut;
        _held = heldConnections ?? int.MaxValue;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Bytes sent back to clients so far.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    private long _forwarded;

    /// <summary>Connections closed at the limit (with <c>cut</c>).</summary>
    public long Cuts => Interlocked.Read(ref _cuts);

    private long _cuts;

    public void Open() => _gate.TrySetResult();

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(client));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
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
            var down = PumpDownAsync(target.GetStream(), client.GetStream(), Interlocked.Increment(ref _served) <= _held);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task PumpDownAsync(Stream from, Stream to, bool held)
    {
        var buffer = new byte[64 * 1024];
        long sent = 0;
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (held && sent + read > _limit && !_gate.Task.IsCompleted)
            {
                if (_cut)
                {
                    // Up to the limit exactly, then the connection ends (ServeAsync closes the client side).
                    var rest = (int)(_limit - sent);
                    await to.WriteAsync(buffer.AsMemory(0, rest), _stop.Token);
                    Interlocked.Add(ref _forwarded, rest);
                    Interlocked.Increment(ref _cuts);
                    return;
                }
                await _gate.Task.WaitAsync(_stop.Token);
            }
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            sent += read;
            Interlocked.Add(ref _forwarded, read);
        }
    }

    public async ValueTask DisposeAsync()
    {
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
}
