using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MediaFleet.Hosting;

/// <summary>
/// The look and the polling of every role's status page (the coordinator's dashboard, the broker's queue): one
/// self-contained HTML document (inline CSS and scripts, no external assets) that fetches its role's JSON route every
/// 2 s and redraws in place, shows when it last did, and says so plainly when the role cannot be reached. Pages write
/// data only through <c>textContent</c>; a Content-Security-Policy of hashes holds them to that shape (no other
/// script, style, frame or origin), so a slip would break the page rather than open it.
/// </summary>
public sealed class StatusPage
{
    /// <summary>
    /// A page titled <paramref name="title"/> whose <paramref name="body"/> (static markup, never data) is filled by
    /// <paramref name="script"/>; the script calls <c>mf.poll(route, what, render)</c> with <c>what</c> naming the role
    /// for the "cannot reach" line.
    /// </summary>
    public StatusPage(string title, string body, string script)
    {
        var html = new StringBuilder()
            .Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"color-scheme\" content=\"light dark\">")
            // An empty icon: otherwise the browser asks for /favicon.ico, and its 404 is an error in every console.
            .Append("<link rel=\"icon\" href=\"data:,\">")
            .Append("<title>").Append(WebUtility.HtmlEncode(title)).Append("</title><style>").Append(Css).Append("</style></head><body>")
            .Append("<header><h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1><p id=\"updated\" class=\"muted\">loading…</p></header>")
            .Append("<div id=\"offline\" class=\"offline\" role=\"alert\" hidden></div><main>").Append(body).Append("</main>")
            .Append("<script>").Append(Skeleton).Append("</script><script>").Append(script).Append("</script></body></html>");
        Html = html.ToString();
        ContentSecurityPolicy = $"default-src 'none'; script-src {Hash(Skeleton)} {Hash(script)}; style-src {Hash(Css)}; " +
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    public string Html { get; }

    /// <summary>The policy sent with the page: only its own inline script and style run, and it talks only to its origin.</summary>
    public string ContentSecurityPolicy { get; }

    /// <summary>The page as an answer: HTML, never cached (the data changes every poll), with its policy.</summary>
    public IResult Answer() => new PageResult(this);

    private static string Hash(string inline) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)))}'";

    private sealed class PageResult(StatusPage page) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var headers = httpContext.Response.Headers;
            headers.ContentSecurityPolicy = page.ContentSecurityPolicy;
            headers.CacheControl = "no-store";
            headers.XContentTypeOptions = "nosniff";
            return TypedResults.Content(page.Html, "text/html; charset=utf-8").ExecuteAsync(httpContext);
        }
    }

    // Tables turn into stacked cards below 40rem (a phone held upright): each cell shows its column's name from
    // data-label, and long words wrap anywhere, so nothing is wider than the screen.
    internal const string Css = """
        :root{--bg:#fff;--fg:#1d1f21;--muted:#5f6368;--line:#dfe1e5;--card:#f4f5f7;--up:#1a7f37;--backup:#a35200;--down:#c62828;--bar:#2f6fd0;--barbg:#e2e5ea;--warn:#c62828}
        @media (prefers-color-scheme:dark){:root{--bg:#14161a;--fg:#e4e6e9;--muted:#9aa0a6;--line:#30343a;--card:#1d2025;--up:#4ac26b;--backup:#e3a33b;--down:#f26d6d;--bar:#5b9cf5;--barbg:#2b3037;--warn:#f26d6d}}
        *{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
        body{margin:0 auto;padding:1rem;max-width:84rem;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
        header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem 1rem}h1{font-size:1.35rem;margin:0}
        h2{font-size:1.05rem;margin:1.5rem 0 .5rem}.muted{color:var(--muted)}
        .offline{background:var(--warn);color:var(--bg);padding:.5rem .8rem;border-radius:.35rem;margin:.6rem 0;font-weight:600}
        body.stale main{opacity:.5}.warn{color:var(--warn);font-weight:600}.empty{color:var(--muted);font-style:italic}
        .tiles{display:flex;flex-wrap:wrap;gap:.6rem}.tile{background:var(--card);border-radius:.4rem;padding:.5rem .8rem;min-width:7.5rem}
        .tile b{display:block;font-size:1.5rem;font-variant-numeric:tabular-nums}.tile span{color:var(--muted);font-size:.85rem}
        .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}
        th,td{padding:.35rem .55rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;overflow-wrap:anywhere}
        th{font-size:.8rem;font-weight:600;color:var(--muted);white-space:nowrap}.num{font-variant-numeric:tabular-nums}
        .up,.succeeded{color:var(--up)}.backup,.queued,.cancelled{color:var(--backup)}.down,.failed{color:var(--down)}.running{color:var(--bar)}
        .state .v{font-weight:600}.badge{font-size:.75rem;border:1px solid currentColor;border-radius:.6rem;padding:0 .4rem;margin-left:.3rem;color:var(--muted)}
        .bar{display:inline-block;width:6.5rem;height:.65rem;background:var(--barbg);border-radius:.33rem;overflow:hidden;vertical-align:middle;margin-right:.4rem}
        .bar>i{display:block;height:100%;background:var(--bar)}
        @media (max-width:40rem){body{padding:.6rem}table.cards thead{display:none}
        table.cards tr{display:block;background:var(--card);border-radius:.4rem;margin:.5rem 0;padding:.3rem .6rem}
        table.cards td{display:flex;justify-content:space-between;gap:1rem;border:0;padding:.15rem 0}
        table.cards td::before{content:attr(data-label);color:var(--muted);font-weight:400;flex:none}table.cards td>.v{min-width:0;text-align:right}}
        """;

    // mf.el makes an element with text (never markup); mf.table redraws a table's rows in place, each row keyed
    // (data-key) and each cell labelled for the card view; mf.poll fetches every 2 s, draws, and keeps the time of the last
    // good answer. A failed fetch shows the offline line; a failure to draw is a bug and is left to the console.
    internal const string Skeleton = """
        'use strict';
        const mf = {
          el(tag, cls, text) {
            const e = document.createElement(tag);
            if (cls) e.className = cls;
            if (text !== undefined && text !== null) e.textContent = String(text);
            return e;
          },
          bar(fraction, text) {
            const wrap = mf.el('span'), outer = mf.el('span', 'bar'), inner = mf.el('i');
            inner.style.width = Math.max(0, Math.min(1, fraction || 0)) * 100 + '%';
            outer.appendChild(inner); wrap.append(outer, text || '');
            return wrap;
          },
          bytes(n) {
            if (n === null || n === undefined) return '';
            const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
            let i = 0, v = n;
            while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
            return (i === 0 ? String(v) : v.toFixed(v < 10 ? 1 : 0)) + ' ' + units[i];
          },
          ago(seconds) {
            if (seconds === null || seconds === undefined) return '';
            const s = Math.max(0, Math.round(seconds));
            return s < 120 ? s + ' s ago' : s < 7200 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago';
          },
          duration(seconds) {
            if (seconds === null || seconds === undefined) return '';
            const s = Math.max(0, Math.round(seconds));
            return s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : Math.round(s / 360) / 10 + ' h';
          },
          time(iso) { return iso ? new Date(iso).toLocaleTimeString() : ''; },
          score(x) { return x === null || x === undefined ? 'unknown' : String(Math.round(x * 100) / 100); },
          // columns: [{label, cls, cell(item) -> string | Node}]; an empty list shows `empty` in one row.
          table(holder, columns, items, key, empty) {
            let table = holder.querySelector('table');
            if (!table) {
              const scroll = mf.el('div', 'scroll');
              table = mf.el('table', 'cards');
              const head = table.createTHead().insertRow();
              for (const c of columns) head.appendChild(mf.el('th', null, c.label));
              table.createTBody();
              scroll.appendChild(table); holder.replaceChildren(scroll);
            }
            const rows = [];
            for (const item of items) {
              const row = document.createElement('tr');
              if (key) row.dataset.key = key(item);
              for (const c of columns) {
                const td = mf.el('td', typeof c.cls === 'function' ? c.cls(item) : c.cls);
                td.dataset.label = c.label;
                const value = c.cell(item), v = mf.el('span', 'v');
                if (value instanceof Node) v.appendChild(value); else v.textContent = value === null || value === undefined ? '' : String(value);
                td.appendChild(v); row.appendChild(td);
              }
              rows.push(row);
            }
            if (rows.length === 0 && empty) {
              const row = document.createElement('tr'), td = mf.el('td', 'empty', empty);
              td.colSpan = columns.length; row.appendChild(td); rows.push(row);
            }
            table.tBodies[0].replaceChildren(...rows);
          },
          tiles(holder, tiles) {
            holder.replaceChildren(...tiles.map(t => {
              const tile = mf.el('div', 'tile'), value = mf.el('b', t.valueCls, t.value);
              if (t.id) value.id = t.id;
              tile.append(value, mf.el('span', null, t.label));
              return tile;
            }));
          },
          poll(route, what, render) {
            const updated = document.getElementById('updated'), offline = document.getElementById('offline');
            let last = null;
            async function step() {
              let data;
              try {
                const answer = await fetch(route, { cache: 'no-store', headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(10000) });
                if (!answer.ok) throw new Error('it answered ' + answer.status + ' ' + answer.statusText);
                data = await answer.json();
              } catch (e) {
                offline.textContent = 'Cannot reach ' + what + ': ' + e.message +
                  (last ? '. Showing what it said at ' + last.toLocaleTimeString() + '.' : '.');
                offline.hidden = false;
                document.body.classList.add('stale');
                return;
              }
              render(data);
              last = new Date();
              offline.hidden = true;
              document.body.classList.remove('stale');
              updated.textContent = 'last updated ' + last.toLocaleTimeString();
            }
            // The next poll is set after this one ends, so a slow answer never stacks requests.
            async function once() {
              try { await step(); } finally { setTimeout(once, 2000); }
            }
            once();
          },
        };
        """;
}
