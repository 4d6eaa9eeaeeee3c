using MediaFleet.Hosting;

namespace MediaFleet.Conversion.Broker;

/// <summary>
/// <c>GET /</c>: the jobs with state, progress bars, ETA and errors. The page is static and fills itself from
/// <c>GET /v1/jobs</c> every 2 s (same origin, so the browser's own credentials apply), with no external assets.
/// </summary>
internal static class BrokerPage
{
    public static void MapBrokerPage(this IEndpointRouteBuilder app) =>
        app.MapGet("/", () => TypedResults.Content(Html, "text/html; charset=utf-8")).RequireAccess(AccessLevel.Read);

    internal const string Html = """
        <!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>MediaFleet broker</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;width:100%}
        td,th{padding:.35em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top;font-size:.92em}
        .bar{width:9em;height:.8em;background:#eee;border-radius:.4em;overflow:hidden;display:inline-block;vertical-align:middle}
        .bar i{display:block;height:100%;background:#3a7}.queued{color:#666}.running{color:#06c}.succeeded{color:#070}
        .failed{color:#b00}.cancelled{color:#a60}.err{color:#b00;max-width:30em;white-space:pre-wrap}#status{color:#666}
        </style></head><body>
        <h1>MediaFleet broker</h1><p id="status">loading…</p>
        <table><thead><tr><th>job</th><th>name</th><th>profile</th><th>state</th><th>progress</th><th>ETA</th><th>attempts</th><th>worker</th><th>error</th></tr></thead>
        <tbody id="jobs"></tbody></table>
        <script>
        function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }
        async function refresh() {
          try {
            const answer = await fetch('v1/jobs', { cache: 'no-store' });
            if (!answer.ok) throw new Error(answer.status + ' ' + answer.statusText);
            const jobs = await answer.json();
            const body = document.getElementById('jobs');
            body.replaceChildren();
            for (const job of jobs) {
              const row = body.insertRow();
              cell(row, job.id); cell(row, job.name); cell(row, job.profile); cell(row, job.state, job.state);
              const bar = row.insertCell(); const outer = document.createElement('span'); outer.className = 'bar';
              const inner = document.createElement('i'); inner.style.width = Math.round(job.progress * 100) + '%';
              outer.appendChild(inner); bar.appendChild(outer); bar.append(' ' + Math.round(job.progress * 100) + ' %');
              cell(row, job.eta_seconds == null ? '' : Math.round(job.eta_seconds) + ' s');
              cell(row, job.attempts); cell(row, job.worker || ''); cell(row, job.error || '', 'err');
            }
            document.getElementById('status').textContent = jobs.length + ' job(s), updated ' + new Date().toLocaleTimeString();
          } catch (e) {
            document.getElementById('status').textContent = 'the broker does not answer: ' + e.message;
          }
        }
        refresh(); setInterval(refresh, 2000);
        </script></body></html>
        """;
}
