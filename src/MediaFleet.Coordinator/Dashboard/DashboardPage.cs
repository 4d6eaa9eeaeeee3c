using MediaFleet.Contracts.Coordinator;
using MediaFleet.Hosting;

namespace MediaFleet.Coordinator.Dashboard;

/// <summary>
/// <c>GET /</c>: the page an operator keeps open: the servers (state, reason, lag, missing, free space), the
/// preservation score per site and for the collection with the files at risk, the recent events, nginx, and the
/// conversion queue when a broker is configured. It redraws in place from <c>GET /v1/dashboard</c> every 2 s;
/// both follow the read rule of <c>/v1/nodes</c>.
/// </summary>
internal static class DashboardPage
{
    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Page.Answer()).RequireAccess(AccessLevel.Read);
        app.MapGet("/v1/dashboard", async (DashboardSnapshot snapshot, CancellationToken cancellationToken) =>
            TypedResults.Json(await snapshot.TakeAsync(cancellationToken).ConfigureAwait(false), DashboardJson.Default.DashboardDto))
            .RequireAccess(AccessLevel.Read);
    }

    internal static readonly StatusPage Page = new("MediaFleet coordinator", Body, Script);

    // Static markup only: every value is drawn by the script with textContent.
    private const string Body = """
        <div class="tiles" id="summary"></div>
        <p id="conflict" class="warn" hidden></p><p id="grace" class="muted" hidden></p>
        <section><h2>Servers</h2><div id="nodes"></div></section>
        <section><h2>Preservation score</h2><div class="tiles" id="sites"></div>
        <p id="score-note" class="muted"></p><div id="servers"></div>
        <h2>Files at risk</h2><p id="at-risk-note" class="muted"></p><div id="at-risk"></div></section>
        <section id="queue" hidden><h2>Conversion queue</h2><p id="queue-note" class="muted"></p><p id="queue-error" class="warn" hidden></p>
        <div class="tiles" id="queue-counts"></div><h2>Running</h2><div id="queue-running"></div><h2>Latest jobs</h2><div id="queue-latest"></div></section>
        <section><h2>nginx</h2><div id="nginx"></div></section>
        <section><h2>Recent events</h2><div id="events"></div></section>
        """;

    private const string Script = """
        'use strict';
        const $ = id => document.getElementById(id);
        const states = ['up', 'backup', 'down'];
        function scoreClass(label) {
          return label === 'very good' || label === 'good' ? 'up' : label === 'bad' ? 'backup' : label === 'unknown' ? '' : 'down';
        }
        function show(id, text) { const e = $(id); e.textContent = text || ''; e.hidden = !text; }
        function nodeCell(n) {
          const span = mf.el('span', null, n.id);
          if (n.primary) span.appendChild(mf.el('span', 'badge', 'primary'));
          if (n.seed) span.appendChild(mf.el('span', 'badge', 'old daemon'));
          if (n.force_down) span.appendChild(mf.el('span', 'badge', 'forced down'));
          else if (n.force_backup) span.appendChild(mf.el('span', 'badge', 'drained'));
          return span;
        }
        function jobs(holder, list, empty) {
          mf.table(holder, [
            { label: 'job', cell: j => j.id },
            { label: 'name', cell: j => j.name },
            { label: 'profile', cell: j => j.profile },
            { label: 'state', cls: j => 'state ' + j.state, cell: j => j.state },
            { label: 'progress', cell: j => mf.bar(j.progress, Math.round(j.progress * 100) + ' %') },
            { label: 'ETA', cls: 'num', cell: j => mf.duration(j.eta_seconds) },
            { label: 'worker', cell: j => j.worker || '' },
            { label: 'error', cls: 'warn', cell: j => j.error || '' },
          ], list, j => j.id, empty);
        }
        function render(d) {
          const c = d.coordinator, s = d.score, nodes = d.nodes;
          mf.tiles($('summary'), [
            ...states.map(state => ({ value: nodes.filter(n => n.state === state).length, label: state, valueCls: state })),
            { id: 'collection-score', value: mf.score(s.collection), valueCls: scoreClass(s.label),
              label: s.collection === null ? 'collection: not scored yet' : 'collection · ' + s.label },
            { value: c.primary === null ? 'none' : c.primary, label: c.primary_version === null ? 'primary' : 'primary · version ' + c.primary_version },
          ]);
          show('conflict', c.primary_conflict.length > 1
            ? 'Two primaries: ' + c.primary_conflict.join(', ') + '. The one with the higher version is trusted.' : '');
          show('grace', c.grace_over ? '' : 'Start-up grace: nothing is taken down for silence until ' + c.down_after + ' s after the start.');
          const largest = Math.max(1, ...nodes.map(n => n.free_bytes));
          mf.table($('nodes'), [
            { label: 'node', cell: nodeCell },
            { label: 'address', cell: n => n.address },
            { label: 'state', cls: n => 'state ' + n.state, cell: n => n.state },
            { label: 'reason', cell: n => n.reason },
            { label: 'lag', cls: 'num', cell: n => n.lag === null ? '–' : n.lag },
            { label: 'missing', cls: 'num', cell: n => n.missing },
            { label: 'free space', cell: n => mf.bar(n.free_bytes / largest, mf.bytes(n.free_bytes)) },
            { label: 'load', cls: 'num', cell: n => n.load.toFixed(2) },
            { label: 'site', cell: n => n.site || '' },
            { label: 'last seen', cls: 'num', cell: n => mf.ago(n.seen_seconds_ago) },
          ], nodes, n => n.id, 'No server has sent a heartbeat yet.');
          mf.tiles($('sites'), s.sites.map(site => ({ value: mf.score(site.score), valueCls: scoreClass(site.label),
            label: (site.site === null ? 'no site' : 'site ' + site.site) + ' · ' + site.label })));
          $('score-note').textContent = s.computed_at === null
            ? 'Not scored yet: the first pass runs once the start-up grace is over and the primary is heard.'
            : s.files + ' file(s), scored at ' + mf.time(s.computed_at) + '; the best score is ' + s.max_score + '.';
          mf.table($('servers'), [
            { label: 'server', cell: x => x.id },
            { label: 'site', cell: x => x.site || '' },
            { label: 'score', cls: x => 'num ' + scoreClass(x.label), cell: x => mf.score(x.score) },
            { label: 'label', cell: x => x.label },
          ], s.servers, x => x.id);
          $('at-risk-note').textContent = s.at_risk_count === 0
            ? (s.computed_at === null ? '' : 'No file scores below ' + s.at_risk_below + '.')
            : s.at_risk_count + ' file(s) score below ' + s.at_risk_below + ' and are repaired first'
              + (s.at_risk_count > s.at_risk.length ? '; the worst ' + s.at_risk.length + ' are listed.' : '.');
          mf.table($('at-risk'), [
            { label: 'file', cell: f => f.path },
            { label: 'score', cls: f => 'num ' + scoreClass(f.label), cell: f => mf.score(f.score) },
            { label: 'label', cell: f => f.label },
          ], s.at_risk, f => f.path);
          $('at-risk').hidden = s.at_risk.length === 0;
          const x = d.nginx;
          mf.table($('nginx'), [
            { label: 'file', cell: () => x === null ? (c.proxy === null ? 'none' : 'none: the built-in balancer on ' + c.proxy) : x.file },
            { label: 'writes', cls: 'num', cell: () => x === null ? '' : x.writes },
            { label: 'reloads', cls: 'num', cell: () => x === null ? '' : x.reloads },
            { label: 'last written', cell: () => x === null ? '' : mf.time(x.written_at) },
            { label: 'last error', cls: 'warn', cell: () => x === null || x.last_error === null ? '' : mf.time(x.last_error_at) + ' ' + x.last_error },
          ], [x], null);
          const b = d.broker;
          $('queue').hidden = b === null;
          if (b !== null) {
            $('queue-note').textContent = 'broker ' + b.url + (b.fetched_at === null ? '' : ', as of ' + mf.time(b.fetched_at));
            show('queue-error', b.reachable ? '' : 'Cannot reach the broker: ' + b.error + (b.queue === null ? '' : '. Showing its last answer.'));
            const q = b.queue;
            mf.tiles($('queue-counts'), q === null ? [] : Object.keys(q.counts).map(k => ({ value: q.counts[k], label: k, valueCls: k })));
            jobs($('queue-running'), q === null ? [] : q.running, 'No job is running.');
            jobs($('queue-latest'), q === null ? [] : q.latest, 'No job yet.');
          }
          mf.table($('events'), [
            { label: 'time', cls: 'num', cell: e => mf.time(e.at) },
            { label: 'kind', cell: e => e.kind },
            { label: 'server', cell: e => e.server || '' },
            { label: 'what', cell: e => e.text },
          ], d.events, null, 'Nothing has happened since the coordinator started.');
        }
        mf.poll('v1/dashboard', 'the coordinator', render);
        """;
}
