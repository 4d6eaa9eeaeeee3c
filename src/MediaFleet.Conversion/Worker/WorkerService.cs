using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Hosting;
using MediaFleet.Library.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Conversion.Worker;

/// <summary>
/// The worker's slots: each asks the broker for a lease (a long poll), runs the job, and asks again. No lease is asked
/// for while the scratch space is short of an input plus the margin; the lease request says how large an input fits.
/// </summary>
internal sealed class WorkerService(BrokerClient broker, JobRunner runner, WorkerOptions options, WorkerState state, TimeProvider time, ILogger<WorkerService> logger)
    : BackgroundService
{
    private static readonly TimeSpan ShortWait = TimeSpan.FromSeconds(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(options.Scratch);
        var (folders, ffmpegs) = StaleScratch.CleanUp(options.Scratch, logger);
        if (folders > 0 || ffmpegs > 0)
        {
            Log.StaleScratch(logger, folders, ffmpegs, options.Scratch);
        }
        return Task.WhenAll(Enumerable.Range(1, options.Slots).Select(slot => SlotAsync(slot, stoppingToken)));
    }

    private async Task SlotAsync(int slot, CancellationToken stoppingToken)
    {
        var guard = new LoopGuard(logger, $"worker slot {slot}");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var fits = state.InputBudget(Durability.FreeBytes(options.Scratch), options.MarginBytes);
                if (fits <= 0)
                {
                    state.ScratchShort(true, logger, options.Scratch, options.MarginBytes);
                    await Task.Delay(ShortWait, time, stoppingToken).ConfigureAwait(false);
                    continue;
                }
                state.ScratchShort(false, logger, options.Scratch, options.MarginBytes);
                var lease = await broker.LeaseAsync(new LeaseRequest(state.Id, fits), options.LeaseWaitSeconds, stoppingToken).ConfigureAwait(false);
                guard.Succeeded();
                if (lease is null)
                {
                    continue;
                }
                using (state.Reserve(lease.InputSize))
                {
                    var end = await runner.RunAsync(lease, stoppingToken).ConfigureAwait(false);
                    state.Ended(end);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                await guard.BackOffAsync(e, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>What the worker's slots share: its id, the scratch bytes running jobs will still need, counts of how jobs ended.</summary>
internal sealed class WorkerState(string id)
{
    private readonly Lock _gate = new();
    private long _reserved;
    private bool _short;
    private readonly Dictionary<RunEnd, long> _ends = Enum.GetValues<RunEnd>().ToDictionary(e => e, _ => 0L);

    public string Id => id;

    /// <summary>
    /// The largest input a new lease may bring: free scratch bytes, less the margin, less what running jobs will still
    /// write (taken as twice their input: the input itself and an output as large).
    /// </summary>
    public long InputBudget(long free, long margin)
    {
        lock (_gate)
        {
            return free - margin - _reserved;
        }
    }

    public IDisposable Reserve(long inputSize)
    {
        var bytes = inputSize * 2;
        lock (_gate)
        {
            _reserved += bytes;
        }
        return new Release(this, bytes);
    }

    public void Ended(RunEnd end)
    {
        lock (_gate)
        {
            _ends[end]++;
        }
    }

    public IReadOnlyDictionary<RunEnd, long> Ends
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<RunEnd, long>(_ends);
            }
        }
    }

    /// <summary>Logs once when the scratch space becomes too short for any lease, and once when it has room again.</summary>
    public void ScratchShort(bool isShort, ILogger logger, string scratch, long margin)
    {
        lock (_gate)
        {
            if (isShort == _short)
            {
                return;
            }
            _short = isShort;
        }
        if (isShort)
        {
            Log.ScratchShort(logger, scratch, margin);
        }
        else
        {
            Log.ScratchRoom(logger, scratch);
        }
    }

    private sealed class Release(WorkerState state, long bytes) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                lock (state._gate)
                {
                    state._reserved -= bytes;
                }
            }
        }
    }
}
