using System.CommandLine;
using System.CommandLine.Parsing;
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

    /// <summary>Records the option named <paramref name="name"/> (one of the root's recursive options) when it was given.</summary>
    public FlagSettings AddNamed<T>(string name, string key)
    {
        if (parse.GetResult(name) is OptionResult { Implicit: false } && parse.GetValue<T>(name) is { } value)
        {
            Values[key] = Convert.ToString(value, CultureInfo.InvariantCulture);
        }
        return this;
    }

    /// <summary>The token, TLS and no-auth flags every role takes, under their <c>Auth</c> and <c>Tls</c> keys.</summary>
    public FlagSettings AddAuthAndTls(Option<string?> token, Option<string?> tlsCert, Option<string?> tlsKey, Option<bool> insecureNoAuth)
    {
        Add(token, "Auth:Token");
        if (Values.ContainsKey("Auth:Token"))
        {
            // A role warns at start-up: ps shows its arguments to every user.
            Values["Auth:TokenOnCommandLine"] = "true";
        }
        AddNamed<string?>(Common.TokenFile, "Auth:TokenFile");
        Add(tlsCert, "Tls:Certificate");
        Add(tlsKey, "Tls:Key");
        AddNamed<string?>(Common.CaFile, "Tls:CaFile");
        AddNamed<bool>(Common.InsecureHttp, "Tls:AllowInsecureHttp");
        return Add(insecureNoAuth, "Auth:InsecureNoAuth");
    }
}
