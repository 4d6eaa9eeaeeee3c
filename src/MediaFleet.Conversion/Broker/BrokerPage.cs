using MediaFleet.Hosting;

namespace MediaFleet.Conversion.Broker;

/// <summary>
/// <c>GET /</c>: the queue at a glance, in the look of the coordinator's dashboard: jobs by state, the running jobs with
/// progress and ETA, and the newest jobs with their errors. It redraws in place from <c>GET /v1/queue</c> every 2 s.
/// </summary>
internal static class BrokerPage
{
    public static void MapBrokerPage(this IEndpointRouteBuilder app) =>
        app.MapGet("/", () => Page.Answer()).RequireAccess(AccessLevel.Read);

    internal static readonly StatusPage Page = new("MediaFleet broker", Body, Script);

    private const string Body = """
        <div class="tiles" id="counts"></div>
        <section><h2>Running</h2><div id="running"></div></section>
        <section><h2>Latest jobs</h2><p id="latest-note" class="muted"></p><div id="latest"></div></section>
        """;

    private const string Script = """
        'use strict';
        const $ = id => document.getElementById(id);
        const columns = [
          { label: 'job', cell: j => j.id },
          { label: 'name', cell: j => j.name },
          { label: 'profile', cell: j => j.profile },
          { label: 'state', cls: j => 'state ' + j.state, cell: j => j.state },
          { label: 'progress', cell: j => mf.bar(j.progress, Math.round(j.progress * 100) + ' %') },
          { label: 'ETA', cls: 'num', cell: j => mf.duration(j.eta_seconds) },
          { label: 'attempts', cls: 'num', cell: j => j.attempts },
          { label: 'worker', cell: j => j.worker || '' },
          { label: 'updated', cls: 'num', cell: j => mf.time(j.updated_at) },
          { label: 'error', cls: 'warn', cell: j => j.error || '' },
        ];
        function render(q) {
          mf.tiles($('counts'), Object.keys(q.counts).map(k => ({ value: q.counts[k], label: k, valueCls: k })));
          mf.table($('running'), columns, q.running, j => j.id, 'No job is running.');
          const total = Object.values(q.counts).reduce((a, b) => a + b, 0);
          $('latest-note').textContent = total > q.latest.length ? 'The newest ' + q.latest.length + ' of ' + total + ' jobs.' : '';
          mf.table($('latest'), columns, q.latest, j => j.id, 'No job yet.');
        }
        mf.poll('v1/queue', 'the broker', render);
        """;
}
