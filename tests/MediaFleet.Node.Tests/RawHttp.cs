using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>An HTTP/1.1 answer read off a raw socket: status, headers (last value wins) and body bytes.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// One TCP connection to a node on which a test writes the exact request bytes. HttpClient and System.Uri rewrite
/// dot segments and some escapes, so traversal forms and broken uploads must go over a plain socket.
/// </summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly TcpClient _client;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawConnection(TcpClient client)
    {
        _client = client;
        Stream = client.GetStream();
    }

    public NetworkStream Stream { get; }

    public Socket Socket => _client.Client;

    public static async Task<RawConnection> OpenAsync(TestNode node)
    {
        var uri = new Uri(node.Url);
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", uri.Port);
        return new RawConnection(client);
    }

    /// <summary>Writes a request line and headers (each "Name: value"), ending the head with an empty line.</summary>
    public async Task WriteHeadAsync(string method, string target, IEnumerable<string> headers)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        foreach (var header in headers)
        {
            head.Append(header).Append("\r\n");
        }
        head.Append("\r\n");
        await Stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()));
        await Stream.FlushAsync();
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes) => await Stream.WriteAsync(bytes);

    /// <summary>Reads one answer; <paramref name="headOnly"/> for HEAD, whose Content-Length announces a body that never comes.</summary>
    public async Task<RawResponse> ReadResponseAsync(bool headOnly = false)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var token = deadline.Token;
        string statusLine;
        do
        {
            // 100 Continue and other interim answers come before the real one.
            statusLine = await ReadLineAsync(token) ?? throw new IOException("the connection closed before a status line");
            var interim = await ReadHeadersAsync(token);
            var status = int.Parse(statusLine.Split(' ')[1], CultureInfo.InvariantCulture);
            if (status >= 200)
            {
                var body = headOnly || status is 204 or 304 ? [] : await ReadBodyAsync(interim, token);
                return new RawResponse(status, interim, body);
            }
        }
        while (true);
    }

    /// <summary>Reads one answer, or null when the node closed or reset the connection without answering.</summary>
    public async Task<RawResponse?> TryReadResponseAsync()
    {
        try
        {
            return await ReadResponseAsync();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task<Dictionary<string, string>> ReadHeadersAsync(CancellationToken token)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (await ReadLineAsync(token) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return headers;
    }

    private async Task<byte[]> ReadBodyAsync(Dictionary<string, string> headers, CancellationToken token)
    {
        var body = new MemoryStream();
        if (headers.TryGetValue("Content-Length", out var lengthText))
        {
            await CopyAsync(body, long.Parse(lengthText, CultureInfo.InvariantCulture), token);
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var sizeLine = await ReadLineAsync(token) ?? throw new IOException("the connection closed inside a chunked body");
                var size = long.Parse(sizeLine.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (await ReadLineAsync(token) is { Length: > 0 })
                    {
                        // Trailers are not used by the node; skip them.
                    }
                    break;
                }
                await CopyAsync(body, size, token);
                await ReadLineAsync(token);
            }
        }
        else
        {
            while (await FillAsync(token))
            {
                body.Write(_buffer, _start, _end - _start);
                _start = _end;
            }
        }
        return body.ToArray();
    }

    private async Task CopyAsync(MemoryStream body, long count, CancellationToken token)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(token))
            {
                throw new IOException("the connection closed inside the body");
            }
            var take = (int)Math.Min(count, _end - _start);
            body.Write(_buffer, _start, take);
            _start += take;
            count -= take;
        }
    }

    private async Task<string?> ReadLineAsync(CancellationToken token)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end && !await FillAsync(token))
            {
                return line.Count > 0 ? Encoding.Latin1.GetString(line.ToArray()) : null;
            }
            var b = _buffer[_start++];
            if (b == '\n')
            {
                if (line.Count > 0 && line[^1] == '\r')
                {
                    line.RemoveAt(line.Count - 1);
                }
                return Encoding.Latin1.GetString(line.ToArray());
            }
            line.Add(b);
        }
    }

    private async Task<bool> FillAsync(CancellationToken token)
    {
        _start = 0;
        _end = await Stream.ReadAsync(_buffer, token);
        return _end > 0;
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Single raw requests: write the exact request target, read the answer.</summary>
internal static class RawHttp
{
    public static string Bearer => "Authorization: Bearer " + TestNode.Token;

    /// <summary>Sends <paramref name="method"/> <paramref name="target"/> verbatim with the cluster token and an optional body.</summary>
    public static async Task<RawResponse> SendAsync(TestNode node, string method, string target, byte[]? body = null, params string[] headers)
    {
        await using var connection = await RawConnection.OpenAsync(node);
        var all = new List<string> { Bearer, "Connection: close" };
        if (body is not null)
        {
            all.Add("Content-Length: " + body.Length.ToString(CultureInfo.InvariantCulture));
        }
        all.AddRange(headers);
        await connection.WriteHeadAsync(method, target, all);
        if (body is not null)
        {
            await connection.WriteAsync(body);
        }
        return await connection.ReadResponseAsync(headOnly: method == "HEAD");
    }
}
