using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Tls;

namespace MediaFleet.Cli.Commands;

/// <summary>What commands share: which node, the token to show it, role configuration, sizes.</summary>
internal static class Common
{
    public const string DefaultNode = "http://127.0.0.1:8470";

    public static Option<string> NodeOption() => new("--node")
    {
        Description = "the node to talk to (default $MFLEET_NODE or " + DefaultNode + ")",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MFLEET_NODE") is { Length: > 0 } node ? node : DefaultNode,
    };

    public static Option<string?> TokenOption() => new("--token")
    {
        Description = "the cluster token (default $MFLEET_TOKEN)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MFLEET_TOKEN"),
    };

    /// <summary>
    /// Options of every command (recursive on the root): a token file instead of a token in ps, the CAs to trust, and
    /// whether the token may go over plain http to a public address.
    /// </summary>
    public static IEnumerable<Option> ConnectionOptions() =>
    [
        new Option<string?>(TokenFile)
        {
            Description = "read the cluster token from this file (default $MFLEET_TOKEN_FILE); unlike --token it does not show in ps",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MFLEET_TOKEN_FILE") is { Length: > 0 } file ? file : null,
            Recursive = true,
        },
        new Option<string?>(CaFile)
        {
            Description = "trust only the CAs in this PEM file for https (default $MFLEET_TLS__CAFILE, else the system store)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MFLEET_TLS__CAFILE") is { Length: > 0 } file ? file : null,
            Recursive = true,
        },
        new Option<bool>(InsecureHttp)
        {
            Description = "allow sending the token over plain http to addresses outside loopback and the private ranges",
            Recursive = true,
        },
    ];

    public const string TokenFile = "--token-file";
    public const string CaFile = "--ca-file";
    public const string InsecureHttp = "--insecure-http";

    /// <summary>How this command's clients reach a role: the token from --token, $MFLEET_TOKEN or --token-file, and the CAs to trust.</summary>
    public static ClusterHttp Cluster(ParseResult parse, Option<string?> token)
    {
        var tls = new TlsOptions { CaFile = parse.GetValue<string?>(CaFile), AllowInsecureHttp = parse.GetValue<bool>(InsecureHttp) };
        if (tls.CaFile is not null && !File.Exists(tls.CaFile))
        {
            throw new CliException($"--ca-file {tls.CaFile}: no such file", ExitCodes.Usage);
        }
        var value = parse.GetValue(token);
        if (parse.GetValue<string?>(TokenFile) is { } file)
        {
            if (parse.GetResult(token) is { Implicit: false })
            {
                throw new CliException("give the token once: --token or --token-file, not both", ExitCodes.Usage);
            }
            try
            {
                value = File.ReadAllText(file).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"--token-file {file}: {e.Message}", ExitCodes.Usage);
            }
        }
        return new ClusterHttp(value, ClientTls.From(tls));
    }

    /// <summary>Why a call failed, in one line: a certificate that is not trusted says so instead of "see inner exception".</summary>
    public static string Reason(HttpRequestException e) => e.InnerException is System.Security.Authentication.AuthenticationException tls
        ? $"TLS: {tls.Message} (trust the cluster's CA with --ca-file F)"
        : e.Message;

    public static Option<bool> JsonOption() => new("--json") { Description = "print JSON instead of text" };

    public static NodeClient Client(ParseResult parse, Option<string> node, Option<string?> token)
    {
        var url = parse.GetValue(node)!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--node '{url}' is not an http URL such as {DefaultNode}", ExitCodes.Usage);
        }
        return new NodeClient(Cluster(parse, token), uri);
    }

    /// <summary>For every role: JSON file, then <c>MFLEET_</c> environment, then flags: later sources win (DESIGN.md section 10).</summary>
    public static IConfiguration LoadConfiguration(string? file, IDictionary<string, string?> flags, Action<IConfiguration> bind)
    {
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            if (!File.Exists(file))
            {
                throw new CliException($"--config {file}: no such file", ExitCodes.Usage);
            }
            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables("MFLEET_").AddInMemoryCollection(flags);
        try
        {
            var configuration = builder.Build();
            // Binding here turns a value of the wrong type into one clear line before anything starts.
            bind(configuration);
            return configuration;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or JsonException or InvalidOperationException)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            throw new CliException($"bad configuration: {reason.ReplaceLineEndings(" ")}", ExitCodes.Usage);
        }
    }

    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : $"{value:0.0} {units[unit]}";
    }
}
