using System.Net;
using System.Net.Sockets;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>The campaign's proxy does what its seed tells it: forwards, cuts after some bytes, or stalls without closing.</summary>
public sealed class ChaosProxyTests
{
    private const int Size = 4 << 20;

    /// <summary>A server that answers every connection with <see cref="Size"/> bytes and closes.</summary>
    private static (TcpListener Listener, Task Serving) StartServer(CancellationToken stop)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var client = await listener.AcceptTcpClientAsync(stop);
                    // One task per connection: a stalled one must not hold up the next.
                    _ = Task.Run(async () =>
                    {
                        using (client)
                        {
                            try
                            {
                                await client.GetStream().WriteAsync(new byte[Size], stop);
                            }
                            catch (Exception e) when (e is IOException or OperationCanceledException)
                            {
                            }
                        }
                    }, CancellationToken.None);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, stop);
        return (listener, serving);
    }

    /// <summary>Bytes read through the proxy until the end of the stream, or until nothing came for two seconds.</summary>
    private static async Task<(long Bytes, bool Ended)> ReadThroughAsync(ChaosProxy proxy)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(new Uri(proxy.Url).Host, new Uri(proxy.Url).Port);
        var buffer = new byte[64 << 10];
        long total = 0;
        try
        {
            while (true)
            {
                using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var read = await client.GetStream().ReadAsync(buffer, idle.Token);
                if (read == 0)
                {
                    return (total, true);
                }
                total += read;
            }
        }
        catch (OperationCanceledException)
        {
            return (total, false);
        }
        catch (IOException)
        {
            return (total, true);
        }
    }

    [Fact]
    public async Task Cut_EndsTheConnectionBeforeTheWholeAnswer()
    {
        using var stop = new CancellationTokenSource();
        var (listener, serving) = StartServer(stop.Token);
        await using var proxy = new ChaosProxy(((IPEndPoint)listener.LocalEndpoint).Port, seed: 7, new ChaosSettings { CutProbability = 1, StallProbability = 0, MaxBytesBeforeFault = 1 << 20 });

        var (bytes, ended) = await ReadThroughAsync(proxy);

        Assert.True(ended);
        Assert.InRange(bytes, 0, 1 << 20);
        Assert.Equal(1, proxy.Counts.Cuts);
        await stop.CancelAsync();
        listener.Stop();
        await serving;
    }

    [Fact]
    public async Task EndlessStall_KeepsTheConnectionOpenAndSilent_AndCalmForwardsNewConnections()
    {
        using var stop = new CancellationTokenSource();
        var (listener, serving) = StartServer(stop.Token);
        await using var proxy = new ChaosProxy(((IPEndPoint)listener.LocalEndpoint).Port, seed: 7,
            new ChaosSettings { CutProbability = 0, StallProbability = 1, EndlessStallProbability = 1, MaxBytesBeforeFault = 1 << 20 });

        var (stalledBytes, stalledEnded) = await ReadThroughAsync(proxy);
        proxy.Calm();
        var (calmBytes, calmEnded) = await ReadThroughAsync(proxy);

        Assert.False(stalledEnded);
        Assert.InRange(stalledBytes, 0, 1 << 20);
        Assert.Equal(1, proxy.Counts.Stalls);
        Assert.True(calmEnded);
        Assert.Equal(Size, calmBytes);
        await stop.CancelAsync();
        listener.Stop();
        await serving;
    }
}
