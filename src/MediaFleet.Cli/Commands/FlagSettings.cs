using System.CommandLine;
using System.Globalization;

namespace MediaFleet.Cli.Commands;

/// <summary>The flags a role was started with, as configuration keys (they win over the JSON file and the environment).</summary>
internal sealed class FlagSettings(ParseResult parse)
{
    public Dictionary<string, string?> Values { get; } = [];

    /// <summary>Records <paramref name="option"/> under <paramref name="key"/> when it was given on the command line.</summary>
    public FlagSettings Add<T>(Option<T> option, string key)
    {
        if (parse.GetResult(option) is { Implicit: false } && parse.GetValue(option) is { } value)
        {
            Values[key] = Convert.ToString(value, CultureInfo.InvariantCulture);
        }
        return this;
    }
}
