using MediaFleet.Library.Scrub;

namespace MediaFleet.Node.Integrity;

/// <summary>What the scheduled scrub is doing and last found, for <c>/v1/status</c> and <c>/metrics</c>.</summary>
public sealed class ScrubProgress
{
    private readonly Lock _gate = new();
    private long _checked;
    private long _bad;
    private long _bytes;
    private long _roundTotal;
    private long _roundDone;
    private DateTimeOffset? _roundStartedAt;
    private DateTimeOffset? _lastRoundAt;
    private string? _lastBad;

    public long Checked => Interlocked.Read(ref _checked);

    public long Bad => Interlocked.Read(ref _bad);

    public long Bytes => Interlocked.Read(ref _bytes);

    public void StartRound(int due, DateTimeOffset at)
    {
        lock (_gate)
        {
            (_roundTotal, _roundDone, _roundStartedAt) = (due, 0, at);
        }
    }

    public void EndRound(DateTimeOffset at)
    {
        lock (_gate)
        {
            (_roundStartedAt, _lastRoundAt) = (null, at);
        }
    }

    /// <summary>Bytes as they are read (per chunk), so the read rate shows within a large file too.</summary>
    public void AddBytes(int bytes) => Interlocked.Add(ref _bytes, bytes);

    public void Record(CheckResult result)
    {
        Interlocked.Increment(ref _checked);
        lock (_gate)
        {
            _roundDone++;
            if (result.Outcome == CheckOutcome.Bad)
            {
                Interlocked.Increment(ref _bad);
                _lastBad = $"{result.Path}: {result.Detail}";
            }
        }
    }

    public Contracts.Files.ScrubDto Describe(bool enabled)
    {
        lock (_gate)
        {
            return new(enabled, _roundStartedAt is not null, _roundDone, _roundTotal, Checked, Bad, Bytes, _lastRoundAt, _lastBad);
        }
    }
}
