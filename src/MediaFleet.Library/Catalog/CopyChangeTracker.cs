using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MediaFleet.Library.Catalog;

/// <summary>
/// Which paths' copies changed (written, deleted, moved, verified, found corrupt, listed missing) in this process's
/// life, by a sequence number: <c>GET /v1/catalog?since=S&amp;epoch=E</c> answers only those, so the coordinator's
/// gathering costs what changed. The epoch is new at every start; an answer for another epoch is a whole listing.
/// </summary>
public sealed class CopyChangeTracker
{
    private readonly ConcurrentDictionary<string, long> _touched = new(StringComparer.Ordinal);
    private long _sequence;

    public string Epoch { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    public long Sequence => Interlocked.Read(ref _sequence);

    internal void Touch(string path) => _touched[path] = Interlocked.Increment(ref _sequence);

    /// <summary>The paths whose copies changed after <paramref name="since"/>, in no particular order.</summary>
    public IReadOnlyList<string> TouchedAfter(long since) => [.. _touched.Where(t => t.Value > since).Select(t => t.Key)];
}
