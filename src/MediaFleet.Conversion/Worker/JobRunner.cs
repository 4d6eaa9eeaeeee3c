using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Contracts.Problems;
using MediaFleet.Conversion.Ffmpeg;
using MediaFleet.Hosting.Processes;
using MediaFleet.Hosting.Transfers;
using MediaFleet.Library.Digests;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Conversion.Worker;

/// <summary>How a leased job ended on this worker.</summary>
internal enum RunEnd
{
    /// <summary>The output was uploaded (the broker then decided whether the job succeeded).</summary>
    Uploaded,
    /// <summary>ffmpeg or the input failed; reported as a failed attempt.</summary>
    Failed,
    /// <summary>The broker took the job away (lease expired, job cancelled): ffmpeg was stopped at once.</summary>
    LeaseLost,
    /// <summary>The worker is stopping, or the broker could not be reached: the job was handed back without an attempt.</summary>
    HandedBack,
}

/// <summary>
/// Runs one leased job: downloads the input (digest-checked), runs ffmpeg with <c>-progress pipe:1</c>, reports progress
/// (which renews the lease), uploads the output with its digest. A lost lease stops ffmpeg at once; a stopping worker
/// stops it and hands the job back without an attempt. Nothing of the job is left in the scratch folder after any end.
/// </summary>
internal sealed class JobRunner(BrokerClient broker, WorkerOptions options, string workerId, TimeProvider time, ILogger<JobRunner> logger)
{
    public async Task<RunEnd> RunAsync(LeaseDto lease, CancellationToken stoppingToken)
    {
        var folder = Path.Combine(options.Scratch, lease.JobId + "-" + Path.GetRandomFileName());
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, StaleScratch.OwnerFile), StaleScratch.Self, CancellationToken.None).ConfigureAwait(false);
        using var leaseLost = new CancellationTokenSource();
        using var job = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, leaseLost.Token);
        var progress = new RunProgress();
        using var renewalStop = new CancellationTokenSource();
        var renewal = RenewAsync(lease, progress, leaseLost, renewalStop.Token);
        try
        {
            Log.Started(logger, lease.JobId, lease.Profile, lease.Name, workerId);
            var input = Path.Combine(folder, "input");
            await DownloadAsync(lease, input, job.Token).ConfigureAwait(false);
            var output = Path.Combine(folder, "output." + lease.Extension);
            var duration = lease.InputDurationSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            FfmpegResult run;
            await using (var ffmpeg = FfmpegConversion.Start(input, lease.Args, output,
                p => progress.Update(p.FractionOf(duration) ?? 0, p.RemainingFor(duration)?.TotalSeconds)))
            {
                // Written down so that a worker started after this one crashed ends this ffmpeg (StaleScratch).
                await File.WriteAllTextAsync(Path.Combine(folder, StaleScratch.FfmpegFile), ProcessMark.Of(ffmpeg.Id)?.ToString() ?? "", job.Token).ConfigureAwait(false);
                run = new FfmpegResult(await ffmpeg.WaitForExitAsync(job.Token).ConfigureAwait(false), ffmpeg.ErrorTail);
            }
            if (run.ExitCode != 0)
            {
                var line = run.ErrorTail.LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "no message";
                await broker.ReportFailureAsync(lease, new FailureReport($"ffmpeg exited with {run.ExitCode}: {line}", string.Join('\n', run.ErrorTail)), job.Token)
                    .ConfigureAwait(false);
                Log.AttemptFailed(logger, lease.JobId, run.ExitCode, line);
                return RunEnd.Failed;
            }
            var digest = await Sha256Digest.OfFileAsync(output, job.Token).ConfigureAwait(false);
            var length = new FileInfo(output).Length;
            await using (var content = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                var answered = await broker.UploadOutputAsync(lease, content, length, digest.ToHeaderValue(), job.Token).ConfigureAwait(false);
                Log.Uploaded(logger, lease.JobId, length, answered.State);
            }
            return RunEnd.Uploaded;
        }
        catch (Exception e) when (leaseLost.IsCancellationRequested || e is MediaFleetException { Slug: ProblemTypes.LeaseLost })
        {
            Log.LeaseLost(logger, lease.JobId);
            return RunEnd.LeaseLost;
        }
        catch (InputDigestException e)
        {
            await TryReportFailureAsync(lease, e.Message, stoppingToken).ConfigureAwait(false);
            return RunEnd.Failed;
        }
        catch (Exception e) when (stoppingToken.IsCancellationRequested || e is HttpRequestException or MediaFleetException or IOException or TimeoutException
            or DownloadFailedException)
        {
            // Stopping, or the broker unreachable or refusing (507): not the job's fault, so no attempt is counted.
            await HandBackAsync(lease).ConfigureAwait(false);
            Log.HandedBack(logger, lease.JobId, stoppingToken.IsCancellationRequested ? "the worker is stopping" : e.Message);
            return RunEnd.HandedBack;
        }
        finally
        {
            await renewalStop.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
            DeleteFolder(folder);
        }
    }

    /// <summary>Reports progress every second while the job runs; each report renews the lease. A 409 means the lease is lost.</summary>
    private async Task RenewAsync(LeaseDto lease, RunProgress progress, CancellationTokenSource leaseLost, CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(Math.Min(1, lease.LeaseSeconds / 3.0));
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    var (fraction, eta) = progress.Current;
                    await broker.ReportProgressAsync(lease, new ProgressReport(fraction, eta), stop).ConfigureAwait(false);
                }
                catch (MediaFleetException e) when (e.Slug == ProblemTypes.LeaseLost)
                {
                    await leaseLost.CancelAsync().ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (!stop.IsCancellationRequested && e is HttpRequestException or MediaFleetException or TaskCanceledException)
                {
                    // The broker may be restarting; the lease outlives a few missed reports, and the next tick tries again.
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Downloads the input, resuming after cuts and checked against the job's digest; a wrong one fails the attempt.</summary>
    private async Task DownloadAsync(LeaseDto lease, string target, CancellationToken cancellationToken)
    {
        var request = new DownloadRequest
        {
            Url = new Uri(BrokerClient.InputUri(lease.JobId), UriKind.Relative),
            PartialPath = target + ".partial",
            Sha256 = Sha256Digest.ParseHex(lease.InputSha256),
            Size = lease.InputSize,
            Source = "the broker",
            Headers = [new(BrokerClient.LeaseHeader, lease.Token)],
        };
        try
        {
            using var input = await ResumableDownload.DownloadAsync(broker.Http, request, TimeSpan.FromSeconds(options.TransferIdleSeconds), time, cancellationToken)
                .ConfigureAwait(false);
            File.Move(input.TempPath, target);
        }
        catch (DownloadFailedException e) when (e.Failure is DownloadFailure.DigestMismatch)
        {
            throw new InputDigestException(e.Message);
        }
        catch (DownloadFailedException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            throw new MediaFleetException(e.StatusCode.Value, ProblemTypes.LeaseLost, e.Message);
        }
    }

    private async Task TryReportFailureAsync(LeaseDto lease, string error, CancellationToken cancellationToken)
    {
        try
        {
            await broker.ReportFailureAsync(lease, new FailureReport(error, null), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or MediaFleetException or OperationCanceledException)
        {
            // The lease then expires and counts the attempt.
        }
    }

    /// <summary>Hands the job back, within a few seconds even while the worker stops (the lease expires otherwise).</summary>
    private async Task HandBackAsync(LeaseDto lease)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
        try
        {
            await broker.ReleaseAsync(lease, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or MediaFleetException or OperationCanceledException)
        {
            // Unreachable or already lost: the lease expires and the job is queued again then.
        }
    }

    private void DeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.ScratchNotDeleted(logger, folder, e.Message);
        }
    }

    /// <summary>The latest progress of a run, written by the progress reader and read by the renewal loop.</summary>
    private sealed class RunProgress
    {
        private readonly Lock _gate = new();
        private (double Fraction, double? Eta) _current;

        public (double Fraction, double? Eta) Current
        {
            get
            {
                lock (_gate)
                {
                    return _current;
                }
            }
        }

        public void Update(double fraction, double? eta)
        {
            lock (_gate)
            {
                _current = (fraction, eta);
            }
        }
    }
}

/// <summary>The input did not arrive as the broker described it: the attempt fails (a broken input must not loop for ever).</summary>
internal sealed class InputDigestException(string message) : Exception(message);
