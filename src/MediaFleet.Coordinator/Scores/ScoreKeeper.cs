using System.Collections.Immutable;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Contracts.Files;
using MediaFleet.Hosting;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.States;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Paths;

namespace MediaFleet.Coordinator.Scores;

/// <summary>
/// Gathers the nodes' catalogs every <c>Score:RefreshSeconds</c> and scores them (DESIGN.md section 9). The files are
/// the trusted primary's catalog; every node heard of gets a column, its copies judged against the primary's digests.
/// Nodes without a <c>--site</c> share one unnamed site: no site is assumed to be a different place.
/// </summary>
internal sealed class ScoreKeeper(
    ServerRegistry registry, CatalogGatherer gatherer, ScoreOptions options, CoordinatorOptions coordinator, TimeProvider time, ILogger<ScoreKeeper> logger)
    : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (ScoreReport Report, ScoringInput Input, DateTimeOffset At)? _latest;

    // The dashboard asks every 2 s per open page; its view changes only with a pass, so it is built once per pass.
    private (DateTimeOffset At, int Top, DashboardScoreDto View)? _dashboard;

    private bool Scored
    {
        get
        {
            lock (_gate)
            {
                return _latest is not null;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first pass as soon as the start-up grace is over (DESIGN.md section 9): the nodes have been heard by then.
        var grace = registry.StartedAt + coordinator.SilenceLimit - time.GetUtcNow();
        if (grace > TimeSpan.Zero)
        {
            await Task.Delay(grace, time, stoppingToken).ConfigureAwait(false);
        }
        var guard = new LoopGuard(logger, "preservation scoring");
        var refresh = TimeSpan.FromSeconds(options.RefreshSeconds);
        while (true)
        {
            await guard.RunAsync(RefreshAsync, time, stoppingToken).ConfigureAwait(false);
            // Until a first score exists (no primary heard yet), try again every heartbeat interval, not every refresh.
            await Task.Delay(Scored || refresh < coordinator.Interval ? refresh : coordinator.Interval, time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gathers the catalogs and scores now; one refresh at a time, as gathering updates catalogs in place.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await gatherer.GatherAsync(cancellationToken).ConfigureAwait(false);
            Compute();
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Scores what was gathered last; without a known primary there is nothing to score against.</summary>
    private void Compute()
    {
        var now = time.GetUtcNow();
        // The old daemon's servers (seed heartbeats) hold no MediaFleet catalog: they are not scored.
        var servers = registry.Snapshot().Where(s => !s.Last.Seed).ToList();
        var primary = registry.TrustedPrimaryId;
        var catalogs = gatherer.Catalogs;
        if (primary is null || !catalogs.TryGetValue(primary, out var truth))
        {
            return;
        }
        var files = truth.Copies.Values
            .Where(c => c.State != "missing" && LibraryPath.TryParse(c.Path, out _, out _) && Sha256Digest.TryParseHex(c.Sha256, out _))
            .OrderBy(c => c.Path, StringComparer.Ordinal)
            .ToList();
        var table = new FileTable(
            [.. files.Select(c => LibraryPath.Parse(c.Path))],
            [.. files.Select(c => Sha256Digest.ParseHex(c.Sha256))],
            [.. files.Select(c => c.Modified ?? c.VerifiedAt ?? now)]);
        var columns = servers.Select(server =>
        {
            var copies = catalogs.TryGetValue(server.Last.Id, out var catalog) ? catalog.Copies : null;
            var column = ImmutableArray.CreateBuilder<CopyState>(files.Count);
            foreach (var file in files)
            {
                column.Add(copies is not null && copies.TryGetValue(file.Path, out var copy) ? Judge(copy, file) : CopyState.Absent);
            }
            return new CopyColumn(server.Last.Id, server.Last.Site, server.Last.ReceivedAt, column.MoveToImmutable());
        });
        var input = new ScoringInput(table, columns);
        var report = PreservationScorer.Score(input, options.ToSettings(), now);
        lock (_gate)
        {
            _latest = (report, input, now);
        }
        Log.Scored(logger, files.Count, report.Collection);
    }

    private static CopyState Judge(CopyDto copy, CopyDto truth) => copy.State switch
    {
        "corrupt" => CopyState.Corrupt,
        "ok" when copy.Sha256 != truth.Sha256 => CopyState.OtherDigest,
        "ok" => CopyState.Ok(copy.VerifiedAt),
        _ => CopyState.Absent,
    };

    /// <summary>
    /// The collection's, the servers' and the worst files' scores; before the first pass no score at all
    /// (<c>collection</c> null, label <c>unknown</c>): a score is never claimed about files that were not scored.
    /// </summary>
    public ScoreDto Describe(int worst = 20)
    {
        (ScoreReport Report, ScoringInput Input, DateTimeOffset At)? latest;
        lock (_gate)
        {
            latest = _latest;
        }
        if (latest is not { } l)
        {
            return new ScoreDto(null, ScoreDto.Unknown, options.MaxScore, 0, [], [], [], null);
        }
        var sites = l.Input.Nodes.ToDictionary(n => n.NodeId, n => n.Site);
        return new ScoreDto(
            l.Report.Collection,
            Label(l.Report.Collection),
            options.MaxScore,
            l.Input.Files.Count,
            [.. l.Report.Servers.OrderBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => new ServerScoreDto(s.Key, sites.GetValueOrDefault(s.Key) is { Length: > 0 } site ? site : null, s.Value, Label(s.Value)))],
            [.. l.Report.FilesBelow(options.MaxScore).Take(worst).Select(f => new FileScoreDto(f.Path.Value, f.Score, Label(f.Score)))],
            [.. l.Report.Shortfalls.Select(s => new RepairDto(s.Path.Value, s.Score, s.HeldAt, s.CouldTake))],
            l.At);
    }

    /// <summary>
    /// The dashboard's view of the latest pass: the collection's, each site's and each server's score, and the files
    /// below RepairBelow (the first <paramref name="top"/>, worst first, and how many there are).
    /// </summary>
    public DashboardScoreDto DescribeForDashboard(int top)
    {
        var atRiskBelow = options.RepairBelow ?? options.MaxScore;
        (ScoreReport Report, ScoringInput Input, DateTimeOffset At)? latest;
        lock (_gate)
        {
            latest = _latest;
            if (latest is { } current && _dashboard is { } cached && cached.At == current.At && cached.Top == top)
            {
                return cached.View;
            }
        }
        if (latest is not { } l)
        {
            return new DashboardScoreDto(null, ScoreDto.Unknown, options.MaxScore, 0, null, [], [], atRiskBelow, 0, []);
        }
        var sites = l.Input.Nodes.ToDictionary(n => n.NodeId, n => n.Site);
        var atRisk = l.Report.FilesBelow(atRiskBelow);
        var view = new DashboardScoreDto(
            l.Report.Collection,
            Label(l.Report.Collection),
            options.MaxScore,
            l.Input.Files.Count,
            l.At,
            [.. l.Report.Sites.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new SiteScoreDto(s.Key.Length > 0 ? s.Key : null, s.Value, Label(s.Value)))],
            [.. l.Report.Servers.OrderBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => new ServerScoreDto(s.Key, sites.GetValueOrDefault(s.Key) is { Length: > 0 } site ? site : null, s.Value, Label(s.Value)))],
            atRiskBelow,
            atRisk.Count,
            [.. atRisk.Take(top).Select(f => new FileScoreDto(f.Path.Value, f.Score, Label(f.Score)))]);
        lock (_gate)
        {
            _dashboard = (l.At, top, view);
        }
        return view;
    }

    /// <summary>Every file scoring below <paramref name="below"/>, worst first.</summary>
    public IReadOnlyList<FileScoreDto> FilesBelow(double below)
    {
        ScoreReport? report;
        lock (_gate)
        {
            report = _latest?.Report;
        }
        return report is null ? [] : [.. report.FilesBelow(below).Select(f => new FileScoreDto(f.Path.Value, f.Score, Label(f.Score)))];
    }

    /// <summary>For the Prometheus gauges: the collection's and each server's score, when computed.</summary>
    public (double Collection, IReadOnlyDictionary<string, double> Servers)? Gauges()
    {
        lock (_gate)
        {
            return _latest is { } l ? (l.Report.Collection, l.Report.Servers) : null;
        }
    }

    private string Label(double score) => ScoreLabels.Of(score, options.MaxScore).Text();
}
