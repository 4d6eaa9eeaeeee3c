using System.Globalization;

namespace MediaFleet.Conversion.Ffmpeg;

/// <summary>
/// One block of <c>ffmpeg -progress</c>: how much output time is written, the output's size so far and the speed
/// against real time; a value ffmpeg reports as <c>N/A</c> (or a negative time before the first packet) is null.
/// </summary>
public readonly record struct FfmpegProgress(TimeSpan? OutTime, long? TotalSize, double? Speed, long? Frame, bool IsEnd)
{
    /// <summary>The share of <paramref name="duration"/> written, 0–1; null when unknown.</summary>
    public double? FractionOf(TimeSpan? duration) =>
        OutTime is { } done && duration is { Ticks: > 0 } total ? Math.Clamp(done / total, 0, 1) : null;

    /// <summary>The time left at the current speed to write <paramref name="duration"/>; null when unknown.</summary>
    public TimeSpan? RemainingFor(TimeSpan? duration) =>
        OutTime is { } done && duration is { } total && Speed is > 0 and var speed
            ? TimeSpan.FromSeconds(Math.Max(0, (total - done).TotalSeconds) / speed)
            : null;
}

/// <summary>
/// Turns the lines of <c>ffmpeg -progress pipe:1</c> into <see cref="FfmpegProgress"/> records: a block of
/// <c>key=value</c> lines ends with <c>progress=continue</c> or <c>progress=end</c> (ffmpeg's fftools/ffmpeg.c).
/// Fed one line at a time, so it follows a running ffmpeg; keys it does not know are skipped.
/// </summary>
public sealed class FfmpegProgressParser
{
    private TimeSpan? _outTime;
    private bool _outTimeFromMicroseconds;
    private long? _totalSize;
    private double? _speed;
    private long? _frame;

    /// <summary>Parses a whole captured output.</summary>
    public static IReadOnlyList<FfmpegProgress> ParseAll(IEnumerable<string> lines)
    {
        var parser = new FfmpegProgressParser();
        var blocks = new List<FfmpegProgress>();
        foreach (var line in lines)
        {
            if (parser.TryAdd(line, out var progress))
            {
                blocks.Add(progress);
            }
        }
        return blocks;
    }

    /// <summary>Takes one line; true with the block's record when the line ends a block.</summary>
    public bool TryAdd(string line, out FfmpegProgress progress)
    {
        progress = default;
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            return false;
        }
        var key = line.AsSpan(0, equals).Trim();
        var value = line.AsSpan(equals + 1).Trim();
        switch (key)
        {
            // out_time_ms is microseconds too (a naming slip ffmpeg keeps for compatibility); out_time_us wins when both come.
            case "out_time_us":
                _outTime = Microseconds(value);
                _outTimeFromMicroseconds = true;
                break;
            case "out_time_ms" when !_outTimeFromMicroseconds:
                _outTime = Microseconds(value);
                break;
            case "out_time" when _outTime is null && !_outTimeFromMicroseconds:
                _outTime = Clock(value);
                break;
            case "total_size":
                _totalSize = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;
                break;
            case "frame":
                _frame = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var frame) ? frame : null;
                break;
            case "speed":
                // "1.23x", "   0x", "N/A"
                _speed = value.EndsWith("x") && double.TryParse(value[..^1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var speed) && speed >= 0
                    ? speed
                    : null;
                break;
            case "progress":
                progress = new FfmpegProgress(_outTime, _totalSize, _speed, _frame, value.SequenceEqual("end"));
                _outTime = null;
                _outTimeFromMicroseconds = false;
                _totalSize = null;
                _speed = null;
                _frame = null;
                return true;
        }
        return false;
    }

    private static TimeSpan? Microseconds(ReadOnlySpan<char> value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var us) && us >= 0
            ? TimeSpan.FromMicroseconds(us)
            : null;

    /// <summary>"00:00:02.034000"; a leading '-' (before the first packet) or N/A is no time.</summary>
    private static TimeSpan? Clock(ReadOnlySpan<char> value)
    {
        Span<Range> parts = stackalloc Range[4];
        // Hours may pass 24, so no TimeSpan format: hours, minutes and seconds with their fraction.
        return !value.StartsWith("-") && value.Split(parts, ':') == 3
            && int.TryParse(value[parts[0]], NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            && int.TryParse(value[parts[1]], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            && double.TryParse(value[parts[2]], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromHours(hours) + TimeSpan.FromMinutes(minutes) + TimeSpan.FromSeconds(seconds)
            : null;
    }
}
