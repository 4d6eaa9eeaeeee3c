using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Nginx;

/// <summary>
/// Reads and rewrites the nginx file of DESIGN.md section 6, text in and text out: only the
/// <c>backup</c> and <c>down</c> parameters of server lines change, every other byte is kept.
/// </summary>
internal static partial class NginxUpstreamFile
{
    /// <summary>The server lines of <paramref name="text"/>, in file order, with the thresholds in force for each.</summary>
    public static IReadOnlyList<ServerLine> Parse(string text)
    {
        var lines = Split(text);
        var methods = BalancingMethods(lines);
        var thresholds = Thresholds.Default;
        var servers = new List<ServerLine>();
        for (var i = 0; i < lines.Count; i++)
        {
            var content = lines[i].Content;
            if (ThresholdLine().IsMatch(content))
            {
                thresholds = ApplyThresholds(content, thresholds);
            }
            else if (ServerStatement.TryParse(content, out var server))
            {
                servers.Add(new ServerLine(i + 1, server.Address, thresholds, methods[i]));
            }
        }
        return servers;
    }

    /// <summary>
    /// Writes each server's state into its line: <c>up</c> drops both flags, <c>backup</c> sets
    /// <c>backup</c> (or <c>down</c> where the block forbids backup), <c>down</c> sets <c>down</c>.
    /// An address with no state given is written as <c>down</c>.
    /// </summary>
    public static string Rewrite(string text, IReadOnlyDictionary<string, ServerState> states) =>
        Rewrite(text, line => states.TryGetValue(line.Address, out var s) ? s : ServerState.Down);

    /// <summary>
    /// As above, with each line's state chosen by <paramref name="stateOf"/>, which sees the line's
    /// address, the thresholds in force for it and its block's balancing method.
    /// </summary>
    public static string Rewrite(string text, Func<ServerLine, ServerState> stateOf)
    {
        var lines = Split(text);
        var methods = BalancingMethods(lines);
        var thresholds = Thresholds.Default;
        var output = new StringBuilder(text.Length + 64);
        for (var i = 0; i < lines.Count; i++)
        {
            var (content, ending) = lines[i];
            if (ThresholdLine().IsMatch(content))
            {
                thresholds = ApplyThresholds(content, thresholds);
            }
            else if (ServerStatement.TryParse(content, out var server))
            {
                var line = new ServerLine(i + 1, server.Address, thresholds, methods[i]);
                content = server.With(Flag(stateOf(line), line.BackupAllowed));
            }
            output.Append(content).Append(ending);
        }
        return output.ToString();
    }

    /// <summary>nginx forbids <c>backup</c> with <c>hash</c>, <c>ip_hash</c> and <c>random</c>.</summary>
    public static bool AllowsBackup(string? balancingMethod) =>
        balancingMethod is not ("hash" or "ip_hash" or "random");

    private static string? Flag(ServerState state, bool backupAllowed) => state switch
    {
        ServerState.Up => null,
        ServerState.Backup => backupAllowed ? "backup" : "down",
        _ => "down",
    };

    private static Thresholds ApplyThresholds(string line, Thresholds current)
    {
        foreach (Match m in ThresholdSetting().Matches(line))
        {
            if (!double.TryParse(m.Groups["value"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                continue; // not a decimal number: the value in force is kept
            }
            current = m.Groups["name"].Value == "backup_threshold"
                ? current with { Backup = value }
                : current with { Down = value };
        }
        return current;
    }

    /// <summary>
    /// The balancing method of the upstream block around each line, or null. A block's method may
    /// come after its server lines, so the whole block is read before any line is labelled.
    /// </summary>
    private static string?[] BalancingMethods(List<Line> lines)
    {
        var methods = new string?[lines.Count];
        var depth = 0;
        var upstreamDepth = -1; // depth inside the current upstream block, -1 when outside one
        var pendingUpstream = false; // "upstream name" seen, its "{" not yet
        var blockStart = 0;
        string? method = null;
        for (var i = 0; i < lines.Count; i++)
        {
            var code = StripComment(lines[i].Content);
            if (upstreamDepth < 0 && UpstreamStart().IsMatch(code))
            {
                pendingUpstream = true;
                blockStart = i;
                method = null;
            }
            if (upstreamDepth >= 0 && depth == upstreamDepth && BalancingDirective().Match(code) is { Success: true } m)
            {
                method = m.Groups["method"].Value;
            }
            foreach (var c in code)
            {
                if (c == '{')
                {
                    depth++;
                    if (pendingUpstream)
                    {
                        pendingUpstream = false;
                        upstreamDepth = depth;
                    }
                }
                else if (c == '}')
                {
                    if (depth == upstreamDepth)
                    {
                        Array.Fill(methods, method, blockStart, i - blockStart + 1);
                        upstreamDepth = -1;
                    }
                    depth = Math.Max(0, depth - 1);
                }
            }
        }
        if (upstreamDepth >= 0)
        {
            Array.Fill(methods, method, blockStart, lines.Count - blockStart); // unclosed block: up to the end
        }
        return methods;
    }

    private static string StripComment(string content)
    {
        var hash = content.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? content : content[..hash];
    }

    /// <summary>Splits into lines without their endings ("\n" or "\r\n"); the last may have none.</summary>
    private static List<Line> Split(string text)
    {
        var lines = new List<Line>();
        var start = 0;
        while (start < text.Length)
        {
            var newline = text.IndexOf('\n', start);
            if (newline < 0)
            {
                lines.Add(new Line(text[start..], ""));
                break;
            }
            var end = newline > start && text[newline - 1] == '\r' ? newline - 1 : newline;
            lines.Add(new Line(text[start..end], text[end..(newline + 1)]));
            start = newline + 1;
        }
        return lines;
    }

    private readonly record struct Line(string Content, string Ending);

    // DESIGN.md writes the rule as ^[\t ]*#(backup_threshold=|down_threshold=)+.*$ but its own
    // example is "# down_threshold=0.8 ...", so blanks between '#' and the first name are allowed.
    [GeneratedRegex(@"^[\t ]*#[\t ]*(backup_threshold=|down_threshold=)+.*$")]
    private static partial Regex ThresholdLine();

    [GeneratedRegex(@"(?<![^\s#])(?<name>backup_threshold|down_threshold)=(?<value>[^\s#]*)")]
    private static partial Regex ThresholdSetting();

    [GeneratedRegex(@"^\s*upstream\s")]
    private static partial Regex UpstreamStart();

    [GeneratedRegex(@"^\s*(?<method>hash|ip_hash|random|least_conn|least_time)(\s|;|$)")]
    private static partial Regex BalancingDirective();

    /// <summary>
    /// A line matching <c>^[\t ]*server .*;$</c>, cut at its first ';' into the part that holds the
    /// parameters and the rest, which is kept as it is.
    /// </summary>
    private readonly partial record struct ServerStatement(string Prefix, string Address, string Parameters, string Rest)
    {
        public static bool TryParse(string content, out ServerStatement statement)
        {
            statement = default;
            var m = ServerLinePattern().Match(content);
            if (!m.Success)
            {
                return false;
            }
            var prefix = m.Groups["prefix"].Value;
            var semicolon = content.IndexOf(';', prefix.Length);
            var parameters = content[prefix.Length..semicolon];
            var address = Token().Match(parameters);
            if (!address.Success)
            {
                return false; // "server ;" names nothing
            }
            statement = new ServerStatement(prefix, address.Value, parameters, content[semicolon..]);
            return true;
        }

        /// <summary>The line with <c>backup</c> and <c>down</c> removed and <paramref name="flag"/>, if any, after the last parameter.</summary>
        public string With(string? flag)
        {
            var kept = new StringBuilder(Prefix);
            var tokens = SeparatedToken().Matches(Parameters);
            var trailing = Parameters;
            for (var i = 0; i < tokens.Count; i++)
            {
                var t = tokens[i];
                var token = t.Groups["token"].Value;
                if (i == 0 || token is not ("backup" or "down"))
                {
                    kept.Append(t.Value);
                }
                trailing = Parameters[(t.Index + t.Length)..];
            }
            if (flag is not null)
            {
                kept.Append(' ').Append(flag);
            }
            return kept.Append(trailing).Append(Rest).ToString();
        }

        [GeneratedRegex(@"^(?<prefix>[\t ]*server) .*;$")]
        private static partial Regex ServerLinePattern();

        [GeneratedRegex(@"\S+")]
        private static partial Regex Token();

        [GeneratedRegex(@"(?<sep>\s*)(?<token>\S+)")]
        private static partial Regex SeparatedToken();
    }
}
