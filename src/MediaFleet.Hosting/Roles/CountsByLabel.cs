using System.Diagnostics.Metrics;

namespace MediaFleet.Hosting;

/// <summary>
/// Counts by one label whose values are known up front, read by an observable counter. Every value is exported from
/// the first scrape on, at 0 until it first happens: Prometheus' <c>increase()</c> sees no rise in a series whose
/// first sample is already 1, so an alert on the first failed test or failed job would never fire.
/// </summary>
public sealed class CountsByLabel
{
    private readonly string _label;
    private readonly string[] _values;
    private readonly long[] _counts;

    public CountsByLabel(string label, params string[] values)
    {
        _label = label;
        _values = values;
        _counts = new long[values.Length];
    }

    /// <summary>Counts one <paramref name="value"/>, which must be one of those given at construction.</summary>
    public void Add(string value)
    {
        var index = Array.IndexOf(_values, value);
        if (index < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"not a known value of {_label}");
        }
        Interlocked.Increment(ref _counts[index]);
    }

    /// <summary>The count of <paramref name="value"/> so far.</summary>
    public long this[string value] => Interlocked.Read(ref _counts[Array.IndexOf(_values, value)]);

    /// <summary>One measurement per value, for <c>Meter.CreateObservableCounter</c>.</summary>
    public IEnumerable<Measurement<long>> Measurements() =>
        _values.Select((value, i) => new Measurement<long>(Interlocked.Read(ref _counts[i]), new KeyValuePair<string, object?>(_label, value)));
}
