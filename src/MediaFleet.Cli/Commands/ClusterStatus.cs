using System.Globalization;
using System.Text.Json;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Coordinator;

namespace MediaFleet.Cli.Commands;

/// <summary><c>mfleet status --coordinator URL</c>: every server as the coordinator sees it, as a table or JSON.</summary>
internal static class ClusterStatus
{
    public static async Task<int> RunAsync(CliConsole console, string url, ClusterHttp cluster, bool json, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--coordinator '{url}' is not an http URL such as http://127.0.0.1:8460", ExitCodes.Usage);
        }
        using var http = cluster.Create(uri);
        var client = new CoordinatorClient(http);
        IReadOnlyList<NodeStateDto> nodes;
        CoordinatorStateDto state;
        try
        {
            nodes = await client.GetNodesAsync(cancellationToken).ConfigureAwait(false);
            state = await client.GetStateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e is not PlainHttpRefusedException)
        {
            throw new CliException($"cannot reach the coordinator at {url}: {Common.Reason(e)}");
        }
        if (json)
        {
            console.Out.WriteLine(JsonSerializer.Serialize(nodes, CoordinatorJson.Default.IReadOnlyListNodeStateDto));
            return ExitCodes.Ok;
        }
        foreach (var line in Render(nodes, state, time.GetUtcNow()))
        {
            console.Out.WriteLine(line);
        }
        return ExitCodes.Ok;
    }

    /// <summary>The table and the notes below it, as plain lines (pipes and tests read the same as a terminal).</summary>
    public static IEnumerable<string> Render(IReadOnlyList<NodeStateDto> nodes, CoordinatorStateDto state, DateTimeOffset now)
    {
        var primaryVersion = nodes.FirstOrDefault(n => n.Id == state.Primary)?.Version;
        var rows = new List<string[]> { new[] { "ID", "ADDRESS", "STATE", "REASON", "LOAD", "VERSION", "LAG", "MISSING", "LAST SEEN" } };
        rows.AddRange(nodes.Select(n => new[]
        {
            n.Id + (n.Primary ? " *" : ""),
            n.Address,
            n.State,
            n.Reason,
            n.Load.ToString("0.00", CultureInfo.InvariantCulture),
            n.Version.ToString(CultureInfo.InvariantCulture),
            primaryVersion is { } p ? (p - n.Version).ToString(CultureInfo.InvariantCulture) : "-",
            n.Missing.ToString(CultureInfo.InvariantCulture),
            Ago(now - n.LastSeen),
        }));
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            yield return string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd();
        }
        if (nodes.Count == 0)
        {
            yield return "(no node has sent a heartbeat yet)";
        }
        yield return "* primary" + (state.PrimaryConflict.Count > 1 ? $"; TWO PRIMARIES: {string.Join(", ", state.PrimaryConflict)} (trusting {state.Primary})" : "");
        if (!state.GraceOver)
        {
            yield return "start-up grace: the coordinator changes nothing in nginx until DownAfter has passed";
        }
        if (state.Nginx is { } nginx)
        {
            var written = nginx.WrittenAt is { } at ? $"last written {Ago(now - at)}" : "not rewritten since start";
            yield return $"nginx file {nginx.File}: {written}, {nginx.Reloads} reload(s)";
            if (nginx.LastError is { } error)
            {
                yield return $"nginx ERROR ({Ago(now - nginx.LastErrorAt!.Value)}): {error}";
            }
        }
        if (state.Proxy is { } proxy)
        {
            yield return $"built-in balancer: {proxy}";
        }
    }

    private static string Ago(TimeSpan span) => span.TotalSeconds < 1
        ? "now"
        : span.TotalSeconds < 120 ? $"{span.TotalSeconds:0} s ago" : span.TotalMinutes < 120 ? $"{span.TotalMinutes:0} min ago" : $"{span.TotalHours:0} h ago";
}
