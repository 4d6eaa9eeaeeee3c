using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using MediaFleet.Contracts.Client;

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

    public static Option<bool> JsonOption() => new("--json") { Description = "print JSON instead of text" };

    public static NodeClient Client(ParseResult parse, Option<string> node, Option<string?> token)
    {
        var url = parse.GetValue(node)!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--node '{url}' is not an http URL such as {DefaultNode}", ExitCodes.Usage);
        }
        return new NodeClient(NodeClient.CreateHttp(uri, parse.GetValue(token)));
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
