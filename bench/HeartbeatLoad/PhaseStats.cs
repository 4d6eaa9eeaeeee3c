using System.Diagnostics;

namespace MediaFleet.Bench.HeartbeatLoad;

/// <summary>What happened to the heartbeats of one phase: counts, latencies and how late the generator sent them.</summary>
internal sealed class PhaseStats
{
    private readonly Lock _gate = new();
    private readonly List<double> _latenciesMs = [];
    private long _firstStart = long.MaxValue;
    private long _lastEnd = long.MinValue;
    private int _sent;
    private int _handled;
    private int _errors;
    private double _maxLagMs;

    public int Sent { get { lock (_gate) { return _sent; } } }
    public int Handled { get { lock (_gate) { return _handled; } } }
    public int Errors { get { lock (_gate) { return _errors; } } }
    public double MaxLagMs { get { lock (_gate) { return _maxLagMs; } } }

    /// <summary>Milliseconds from the first request's start to the last answer; 0 before any answer.</summary>
    public double SpanMs
    {
        get
        {
            lock (_gate)
            {
                return _lastEnd < _firstStart ? 0 : Stopwatch.GetElapsedTime(_firstStart, _lastEnd).TotalMilliseconds;
            }
        }
    }

    /// <summary>Records one heartbeat that started at <paramref name="start"/> (Stopwatch ticks), <paramref name="lagMs"/> after it was due.</summary>
    public void Record(long start, long end, double lagMs, bool handled)
    {
        lock (_gate)
        {
            _sent++;
            if (handled)
            {
                _handled++;
            }
            else
            {
                _errors++;
            }
            _latenciesMs.Add(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
            _firstStart = Math.Min(_firstStart, start);
            _lastEnd = Math.Max(_lastEnd, end);
            _maxLagMs = Math.Max(_maxLagMs, lagMs);
        }
    }

    /// <summary>The <paramref name="quantile"/> (0..1) of the latencies in ms, nearest rank; NaN when empty.</summary>
    public double LatencyMs(double quantile)
    {
        lock (_gate)
        {
            if (_latenciesMs.Count == 0)
            {
                return double.NaN;
            }
            _latenciesMs.Sort();
            var rank = (int)Math.Ceiling(quantile * _latenciesMs.Count);
            return _latenciesMs[Math.Clamp(rank - 1, 0, _latenciesMs.Count - 1)];
        }
    }
}
