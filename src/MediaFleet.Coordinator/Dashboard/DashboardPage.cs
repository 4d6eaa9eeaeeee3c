using System.Globalization;
using System.Net;
using System.Text;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Hosting;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.Nginx;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Dashboard;

/// <summary>
/// <c>GET /</c>: the servers and the nginx file at a glance, as one self-refreshing HTML page with no scripts and no
/// assets, so it works from any browser that reaches the coordinator.
/// </summary>
internal static class DashboardPage
{
    public static void MapDashboard(this IEndpointRouteBuilder app) =>
        app.MapGet("/", (ServerRegistry registry, CoordinatorOptions options, TimeProvider time, IServiceProvider services) =>
            TypedResults.Content(Render(registry.Snapshot(), registry.PrimaryConflict, services.GetService<NginxFileKeeper>()?.Describe(), options, time.GetUtcNow()),
                "text/html; charset=utf-8"))
        .RequireAccess(AccessLevel.Read);

    /// <summary>The page for a snapshot of states (pure, so it can be read in a test).</summary>
    public static string Render(IReadOnlyList<ServerView> servers, IReadOnlyList<string> conflict, NginxStateDto? nginx, CoordinatorOptions options, DateTimeOffset now)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">")
            .Append("<title>MediaFleet coordinator</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}")
            .Append("td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}.up{color:#070}.backup{color:#a60}.down{color:#b00}")
            .Append(".warn{color:#b00;font-weight:bold}</style></head><body><h1>MediaFleet coordinator</h1>");
        html.Append(CultureInfo.InvariantCulture, $"<p>{servers.Count(s => s.State == ServerState.Up)} up, {servers.Count(s => s.State == ServerState.Backup)} backup, ")
            .Append(CultureInfo.InvariantCulture, $"{servers.Count(s => s.State == ServerState.Down)} down; heartbeats every {options.HeartbeatInterval} s, down after {options.SilenceLimit.TotalSeconds} s of silence.</p>");
        if (conflict.Count > 1)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"warn\">Two primaries: {Encode(string.Join(", ", conflict))}. The one with the higher version is trusted.</p>");
        }
        html.Append("<table><tr><th>id</th><th>address</th><th>state</th><th>reason</th><th>load</th><th>version</th><th>missing</th><th>site</th><th>last seen</th></tr>");
        foreach (var (last, state, reason) in servers)
        {
            var name = ServerRegistry.Name(state);
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Encode(last.Id)}{(last.Primary ? " (primary)" : "")}</td><td>{Encode(last.Address)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"{name}\">{name}</td><td>{Encode(reason)}</td><td>{last.Load:0.00}</td><td>{last.Version}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{last.Missing}</td><td>{Encode(last.Site)}</td><td>{(now - last.ReceivedAt).TotalSeconds:0} s ago</td></tr>");
        }
        html.Append("</table>");
        if (nginx is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>nginx file {Encode(nginx.File)}: {nginx.Writes} write(s), {nginx.Reloads} reload(s)")
                .Append(nginx.WrittenAt is { } at ? string.Create(CultureInfo.InvariantCulture, $", last written {at:u}") : "").Append(".</p>");
            if (nginx.LastError is { } error)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"warn\">nginx: {Encode(error)}</p>");
            }
        }
        return html.Append("</body></html>").ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
