using System.Net;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Conversion;

namespace MediaFleet.Conversion.Client;

/// <summary>
/// Asks a broker about remembered jobs and keeps its answers in the <see cref="ClientStore"/>; a broker that does not
/// answer is noted there (with since when), not treated as a failure: the client may be offline.
/// </summary>
public sealed class BrokerSync(BrokerClient broker, string brokerKey, ClientStore store)
{
    /// <summary>
    /// Refreshes <paramref name="ids"/> (one list call for this client's jobs, then one call for each id the list did
    /// not hold). Remembered jobs are updated in the store; jobs the broker does not know are in <c>Unknown</c>.
    /// Throws for answers that are not silence (a refused token).
    /// </summary>
    public async Task<SyncResult> SyncAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var current = new Dictionary<string, JobDto>(StringComparer.Ordinal);
        var unknown = new List<string>();
        try
        {
            if (ids.Count > 0)
            {
                foreach (var job in await broker.ListJobsAsync(store.ClientId, null, cancellationToken).ConfigureAwait(false))
                {
                    current[job.Id] = job;
                }
            }
            foreach (var id in ids.Where(id => !current.ContainsKey(id)))
            {
                try
                {
                    current[id] = await broker.GetJobAsync(id, cancellationToken).ConfigureAwait(false);
                }
                catch (MediaFleetException e) when (e.Status == HttpStatusCode.NotFound)
                {
                    unknown.Add(id);
                }
            }
        }
        catch (Exception e) when (Silence(e, cancellationToken) is { } reason)
        {
            return new SyncResult(false, reason, store.BrokerSilent(brokerKey), current, unknown);
        }
        store.BrokerAnswered(brokerKey);
        foreach (var job in current.Values.Where(j => ids.Contains(j.Id)))
        {
            store.Update(brokerKey, job);
        }
        return new SyncResult(true, null, store.Contact(brokerKey), current, unknown);
    }

    /// <summary>Why <paramref name="e"/> means the broker is not answering (unreachable, silent, a gateway in front of a stopped one), else null.</summary>
    public static string? Silence(Exception e, CancellationToken cancellationToken) => e switch
    {
        PlainHttpRefusedException => null,
        HttpRequestException http => http.InnerException?.Message ?? http.Message,
        OperationCanceledException when !cancellationToken.IsCancellationRequested => "no answer in time",
        MediaFleetException { Status: HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout } m =>
            $"{(int)m.Status} {m.Message}",
        _ => null,
    };
}

/// <summary>
/// What a <see cref="BrokerSync"/> learned: whether the broker answered (else why not), its contact times, the jobs
/// it told about and the ids it does not know.
/// </summary>
public sealed record SyncResult(bool Answered, string? Reason, BrokerContact Contact, IReadOnlyDictionary<string, JobDto> Current, IReadOnlyList<string> Unknown);
