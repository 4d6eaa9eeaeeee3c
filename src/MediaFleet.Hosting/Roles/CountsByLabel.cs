using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace MediaFleet.Hosting;

/// <summary>
/// Counts by one label, read by an observable counter. The values known up front are exported from the first scrape
/// on, at 0 until they first happen: Prometheus' <c>increase()</c> sees no rise in a series whose first sample is
/// already 1, so an alert on the first failed test or failed job would never fire. Other values count from their
/// first occurrence.
/// </summary>
public sealed class CountsByLabel
{
    private readonly string _label;
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public CountsByLabel(string label, params string[] known)
    {
        _label = label;
        foreach (var value in known)
        {
            _counts[value] = 0;
        }
    }

    /// <summary>Counts one <paramref name="value"/>.</summary>
    public void Add(string value) => _counts.AddOrUpdate(value, 1, (_, count) => count + 1);

    /// <summary>The count of <paramref name="value"/> so far.</summary>
    public long this[string value] => _counts.GetValueOrDefault(value);

    /// <summary>One measurement per value, for <c>Meter.CreateObservableCounter</c>.</summary>
    public IEnumerable<Measurement<long>> Measurements() =>
        _counts.Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>(_label, c.Key)));
}
