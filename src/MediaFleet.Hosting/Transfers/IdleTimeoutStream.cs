namespace MediaFleet.Hosting.Transfers;

/// <summary>
/// A response body whose every read must bring bytes within <c>idle</c>: each read re-arms the timer that cancels
/// the transfer, so a connection that stays open but silent is given up instead of waited on for ever.
/// </summary>
public sealed class IdleTimeoutStream(Stream inner, CancellationTokenSource silence, TimeSpan idle) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        silence.CancelAfter(idle);
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        // Disarmed until the next read: time spent writing to disk is not the connection's silence.
        silence.CancelAfter(Timeout.InfiniteTimeSpan);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("reads are asynchronous");
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
