using System.Security.Cryptography;

namespace MediaFleet.Library.Catalog;

/// <summary>
/// Which paths' copies changed (written, deleted, moved, verified, found corrupt, listed missing) in this process's
/// life, by a sequence number: <c>GET /v1/catalog?since=S&amp;epoch=E</c> answers only those, so the coordinator's
/// gathering costs what changed. The epoch is new at every start; an answer for another epoch is a whole listing.
/// After <see cref="Limit"/> distinct paths (a provisioning, a mass adopt) it starts a new epoch rather than grow
/// with the library: the coordinator then asks for one whole listing, as after a restart.
/// </summary>
public sealed class CopyChangeTracker
{
    /// <summary>Distinct paths remembered before a new epoch starts.</summary>
    public const int Limit = 100_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _latest = new(StringComparer.Ordinal);

    /// <summary>Every touch in sequence order; entries a later touch of the same path superseded are dropped now and then.</summary>
    private readonly List<(long Sequence, string Path)> _log = [];
    private long _sequence;
    private string _epoch = NewEpoch();

    public string Epoch
    {
        get
        {
            lock (_lock)
            {
                return _epoch;
            }
        }
    }

    public long Sequence => Interlocked.Read(ref _sequence);

    /// <summary>The epoch and the sequence number together, as an answer's headers name them.</summary>
    public (string Epoch, long Sequence) Position
    {
        get
        {
            lock (_lock)
            {
                return (_epoch, _sequence);
            }
        }
    }

    internal void Touch(string path)
    {
        lock (_lock)
        {
            var sequence = Interlocked.Increment(ref _sequence);
            if (_latest.Count >= Limit && !_latest.ContainsKey(path))
            {
                _epoch = NewEpoch();
                _latest.Clear();
                _log.Clear();
            }
            _latest[path] = sequence;
            _log.Add((sequence, path));
            if (_log.Count > 2 * _latest.Count + 1024)
            {
                _log.RemoveAll(t => _latest[t.Path] != t.Sequence);
            }
        }
    }

    /// <summary>The paths whose copies changed after <paramref name="since"/>, oldest change first.</summary>
    public IReadOnlyList<string> TouchedAfter(long since)
    {
        lock (_lock)
        {
            var first = _log.BinarySearch((since + 1, ""), Comparer<(long Sequence, string Path)>.Create((a, b) => a.Sequence.CompareTo(b.Sequence)));
            var paths = new List<string>();
            for (var i = first < 0 ? ~first : first; i < _log.Count; i++)
            {
                if (_latest[_log[i].Path] == _log[i].Sequence)
                {
                    paths.Add(_log[i].Path);
                }
            }
            return paths;
        }
    }

    private static string NewEpoch() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}
