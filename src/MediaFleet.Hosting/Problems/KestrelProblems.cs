using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using MediaFleet.Contracts.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace MediaFleet.Hosting;

/// <summary>
/// Kestrel answers a request it cannot parse (a bad request line or header 400, a target too long 414, headers too
/// large 431) itself, before any middleware runs, with an empty body; no server option changes that body. This
/// connection middleware turns exactly those answers into <c>invalid-request</c> problem documents: it recognises
/// Kestrel's own answer, a whole header block of only Content-Length: 0, Connection and Date, written while no request
/// of that connection is inside the app, and writes the problem in its place. Everything else passes untouched.
/// </summary>
internal static class KestrelProblems
{
    private const string Key = "mfleet.kestrel-problems";

    /// <summary>For <c>ListenOptions.Use</c>, after TLS so it sees the plain bytes.</summary>
    public static ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        var requests = new RequestsInApp();
        connection.Items[Key] = requests;
        var transport = connection.Transport;
        connection.Transport = new Pipe(transport.Input, new AnswerWriter(transport.Output, requests));
        await next(connection).ConfigureAwait(false);
    };

    /// <summary>Counts the requests of each connection that reached the app, until their answer is complete.</summary>
    internal sealed class MarkRequests : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(Key, out var value) == true && value is RequestsInApp requests)
                {
                    Interlocked.Increment(ref requests.Count);
                    context.Response.OnCompleted(static state =>
                    {
                        Interlocked.Decrement(ref ((RequestsInApp)state).Count);
                        return Task.CompletedTask;
                    }, requests);
                }
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    internal sealed class RequestsInApp
    {
        public int Count;
    }

    private sealed class Pipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }

    /// <summary>Passes every write through; looks only at a write that begins with Kestrel's status line of 400, 414 or 431.</summary>
    private sealed class AnswerWriter(PipeWriter inner, RequestsInApp requests) : PipeWriter
    {
        private Memory<byte> _last;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            if (bytes <= _last.Length && Volatile.Read(ref requests.Count) == 0 && Replacement(_last.Span[..bytes]) is { } problem)
            {
                // The original bytes were never advanced: the problem overwrites them.
                inner.Write(problem);
                return;
            }
            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }

    /// <summary>The problem answer for Kestrel's own empty 400, 414 or 431 in <paramref name="written"/>; null for anything else.</summary>
    internal static byte[]? Replacement(ReadOnlySpan<byte> written)
    {
        if (written.Length < 16 || !written.StartsWith("HTTP/1.1 4"u8) || !written.EndsWith("\r\n\r\n"u8))
        {
            return null;
        }
        var status = written[9..12];
        var detail = status.SequenceEqual("400"u8) ? "the request line or its headers could not be read"
            : status.SequenceEqual("414"u8) ? "the request target is longer than this server accepts"
            : status.SequenceEqual("431"u8) ? "the request headers are larger than this server accepts"
            : null;
        if (detail is null)
        {
            return null;
        }
        var head = Encoding.Latin1.GetString(written[..^4]).Split("\r\n");
        var kept = new StringBuilder(head[0]).Append("\r\n");
        var empty = false;
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = colon > 0 ? line[..colon] : "";
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                empty = line[(colon + 1)..].Trim() == "0";
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Date", StringComparison.OrdinalIgnoreCase))
            {
                kept.Append(line).Append("\r\n");
            }
            else
            {
                return null; // a header Kestrel's own answer does not carry: an answer of the app
            }
        }
        if (!empty)
        {
            return null;
        }
        var code = int.Parse(Encoding.ASCII.GetString(status), System.Globalization.CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes(
            $$"""{"type":"{{ProblemTypes.Uri(ProblemTypes.InvalidRequest)}}","title":"Invalid request","status":{{code}},"detail":"{{detail}}"}""");
        kept.Append("Content-Type: application/problem+json\r\nContent-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(kept.ToString()), .. body];
    }
}
