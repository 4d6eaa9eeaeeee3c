using MediaFleet.Hosting;
using MediaFleet.Library.Scrub;
using MediaFleet.Node.Configuration;

namespace MediaFleet.Node.Integrity;

/// <summary>
/// The scheduled scrub (DESIGN.md section 7): rounds of the copies that are due, in the scrubber's order, within the
/// <c>Scrub:BudgetMBps</c> token bucket; idle between rounds. Off when the budget is 0. An unreadable copy is a bad
/// copy like any other; anything unexpected is logged once and the scrub goes on with the next copy.
/// </summary>
internal sealed class ScrubService(Scrubber scrubber, MediaFleet.Library.Store.LibraryStore store, ScrubOptions options, RepairList repairs, ScrubProgress progress, TimeProvider time, ILogger<ScrubService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.BudgetMBps <= 0)
        {
            return;
        }
        var health = new LoopGuard(logger, "scrub");
        var budget = new TokenBucket(options.BudgetMBps * 1_000_000, time);
        // Give start-up, recovery and a follower's first catch-up the disk first.
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, options.IdleSeconds)), time, stoppingToken).ConfigureAwait(false);
        // A round lists every copy: from the loaded index, not a second copy of a large catalog read from SQLite.
        await store.Catalog.IndexLoaded.ContinueWith(static _ => { }, stoppingToken, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RoundAsync(budget, health, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                await health.BackOffAsync(e, time, stoppingToken).ConfigureAwait(false);
                continue;
            }
            await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), time, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task RoundAsync(TokenBucket budget, LoopGuard health, CancellationToken stoppingToken)
    {
        var due = await Task.Run(() => scrubber.Due(options.CheckTtl, time.GetUtcNow(), repairs.Paths), stoppingToken).ConfigureAwait(false);
        if (due.Count == 0)
        {
            health.Succeeded();
            return;
        }
        progress.StartRound(due.Count, time.GetUtcNow());
        var bad = 0;
        foreach (var entry in due)
        {
            try
            {
                var result = await scrubber.CheckAsync(entry, budget, stoppingToken, progress.AddBytes).ConfigureAwait(false);
                progress.Record(result);
                bad += result.Outcome == CheckOutcome.Bad ? 1 : 0;
                health.Succeeded();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // One copy's surprise (the catalog busy, a vanished folder) must not stop the others being checked.
                await health.BackOffAsync(e, time, stoppingToken).ConfigureAwait(false);
            }
        }
        progress.EndRound(time.GetUtcNow());
        Log.ScrubRound(logger, due.Count, bad);
    }
}
