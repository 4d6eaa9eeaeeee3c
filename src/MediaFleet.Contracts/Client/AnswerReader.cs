using System.Globalization;
using System.Net;
using System.Text;

namespace MediaFleet.Contracts.Client;

/// <summary>A status line and its header fields.</summary>
internal sealed record AnswerHead(int Status, string Reason, List<(string Name, string Value)> Fields);

/// <summary>
/// Reads the answer to <see cref="TrailerPut"/> (RFC 9112): interim answers, the status line and fields, and a small
/// body by Content-Length, chunks, or to the close, handed over as an HttpResponseMessage like any other call's.
/// </summary>
internal sealed class AnswerReader(Stream connection)
{
    private const int MaxHeadBytes = 64 * 1024;

    /// <summary>An answer body larger than this is not a problem document or a file's JSON.</summary>
    private const int MaxAnswerBytes = 1 << 20;

    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    /// <summary>The first final (2xx-5xx) answer's head; <paramref name="continued"/> hears of a 100 Continue on the way.</summary>
    public async Task<AnswerHead> ReadFinalHeadAsync(TaskCompletionSource continued, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var head = await ReadHeadAsync(cancellationToken).ConfigureAwait(false);
                if (head.Status >= 200)
                {
                    return head;
                }
                if (head.Status == 100)
                {
                    continued.TrySetResult();
                }
            }
        }
        catch (IOException e)
        {
            throw new HttpRequestException("the connection broke: " + e.Message, e);
        }
    }

    public async Task<HttpResponseMessage> ReadResponseAsync(AnswerHead head, CancellationToken cancellationToken)
    {
        var response = new HttpResponseMessage((HttpStatusCode)head.Status) { ReasonPhrase = head.Reason };
        try
        {
            var body = head.Status is 204 or 304 ? [] : await ReadBodyAsync(head, cancellationToken).ConfigureAwait(false);
            response.Content = new ByteArrayContent(body);
        }
        catch (IOException e)
        {
            response.Dispose();
            throw new HttpRequestException("the connection broke: " + e.Message, e);
        }
        foreach (var (name, value) in head.Fields)
        {
            if (!response.Headers.TryAddWithoutValidation(name, value))
            {
                response.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        // The body was read whole: chunked framing describes the wire, not the content now held.
        response.Headers.TransferEncoding.Clear();
        return response;
    }

    private async Task<AnswerHead> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var budget = MaxHeadBytes;
        var statusLine = await ReadLineAsync(budget, cancellationToken).ConfigureAwait(false) ?? throw new IOException("the node closed the connection without answering");
        budget -= statusLine.Length;
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status is < 100 or > 999)
        {
            throw new IOException($"not an HTTP/1.1 status line: '{statusLine}'");
        }
        var fields = new List<(string, string)>();
        while (await ReadLineAsync(budget, cancellationToken).ConfigureAwait(false) is { Length: > 0 } line)
        {
            budget -= line.Length;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new IOException($"not a header field: '{line}'");
            }
            fields.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return new AnswerHead(status, parts.Length > 2 ? parts[2] : "", fields);
    }

    private async Task<byte[]> ReadBodyAsync(AnswerHead head, CancellationToken cancellationToken)
    {
        string? Field(string name) => head.Fields.LastOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
        var body = new MemoryStream();
        if (Field("Transfer-Encoding") is { } coding && coding.EndsWith("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var sizeLine = await ReadLineAsync(MaxHeadBytes, cancellationToken).ConfigureAwait(false) ?? throw new IOException("the answer ended inside a chunked body");
                if (!long.TryParse(sizeLine.Split(';')[0].Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                {
                    throw new IOException($"not a chunk size: '{sizeLine}'");
                }
                if (size == 0)
                {
                    while (await ReadLineAsync(MaxHeadBytes, cancellationToken).ConfigureAwait(false) is { Length: > 0 })
                    {
                        // The node sends no response trailers; any there are end here.
                    }
                    return body.ToArray();
                }
                await CopyAsync(body, size, cancellationToken).ConfigureAwait(false);
                await ReadLineAsync(MaxHeadBytes, cancellationToken).ConfigureAwait(false);
            }
        }
        if (Field("Content-Length") is { } lengthText)
        {
            if (!long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                throw new IOException($"not a Content-Length: '{lengthText}'");
            }
            await CopyAsync(body, length, cancellationToken).ConfigureAwait(false);
            return body.ToArray();
        }
        // Neither: the body runs to the close (RFC 9112 section 6.3).
        while (_start < _end || await FillAsync(cancellationToken).ConfigureAwait(false))
        {
            Keep(body, _end - _start);
        }
        return body.ToArray();
    }

    private async Task CopyAsync(MemoryStream body, long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new IOException("the answer ended inside its body");
            }
            var take = (int)Math.Min(count, _end - _start);
            Keep(body, take);
            count -= take;
        }
    }

    private void Keep(MemoryStream body, int count)
    {
        if (body.Length + count > MaxAnswerBytes)
        {
            throw new IOException($"the answer body is larger than {MaxAnswerBytes} bytes");
        }
        body.Write(_buffer, _start, count);
        _start += count;
    }

    /// <summary>One line without its CRLF (a bare LF is accepted); null at the end of the stream before any byte.</summary>
    private async Task<string?> ReadLineAsync(int budget, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return line.Length > 0 ? throw new IOException("the answer ended inside a line") : null;
            }
            var b = _buffer[_start++];
            if (b == '\n')
            {
                return line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();
            }
            if (line.Length >= budget)
            {
                throw new IOException("the answer's head is too large");
            }
            line.Append((char)b);
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await connection.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        return _end > 0;
    }
}
