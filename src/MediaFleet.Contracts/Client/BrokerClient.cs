using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using MediaFleet.Contracts.Conversion;

namespace MediaFleet.Contracts.Client;

/// <summary>A typed client for a broker (DESIGN.md section 8): the public job routes and the worker protocol.</summary>
public sealed class BrokerClient(HttpClient http)
{
    /// <summary>The header that names the submitting client; made once per client and kept in its local store.</summary>
    public const string ClientHeader = "X-MFleet-Client";

    /// <summary>The header that carries a worker's lease token on every call about its job.</summary>
    public const string LeaseHeader = "MFleet-Lease";

    public HttpClient Http => http;

    /// <summary>
    /// Streams an input to <c>POST /v1/jobs</c>. <paramref name="reprDigest"/> lets the broker answer a resubmit before the
    /// body is sent; <c>Created</c> is false when the broker returned an existing job (200).
    /// </summary>
    public async Task<(JobDto Job, bool Created)> SubmitAsync(
        Stream content, long length, string profile, string name, string? ingestAs, string client, string? idempotencyKey, string? reprDigest,
        CancellationToken cancellationToken)
    {
        var uri = $"v1/jobs?profile={Uri.EscapeDataString(profile)}&name={Uri.EscapeDataString(name)}"
            + (ingestAs is null ? "" : "&ingest_as=" + Uri.EscapeDataString(ingestAs));
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Content = new StreamContent(content, 1 << 20);
        request.Content.Headers.ContentLength = length;
        request.Headers.TryAddWithoutValidation(ClientHeader, client);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }
        if (reprDigest is not null)
        {
            request.Headers.TryAddWithoutValidation("Repr-Digest", reprDigest);
        }
        // A broker that refuses or already has the job answers before the body is sent.
        request.Headers.ExpectContinue = true;
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var job = await response.Content.ReadFromJsonAsync(ConversionJson.Default.JobDto, cancellationToken).ConfigureAwait(false);
        return (job!, response.StatusCode == HttpStatusCode.Accepted);
    }

    public async Task<JobDto> GetJobAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/jobs/" + Uri.EscapeDataString(id), cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ConversionJson.Default.JobDto, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<IReadOnlyList<JobDto>> ListJobsAsync(string? client, string? state, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (client is not null)
        {
            query.Add("client=" + Uri.EscapeDataString(client));
        }
        if (state is not null)
        {
            query.Add("state=" + Uri.EscapeDataString(state));
        }
        using var response = await http.GetAsync("v1/jobs" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ConversionJson.Default.IReadOnlyListJobDto, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary><c>GET /v1/queue?limit=N</c>: jobs by state, the running jobs and the newest <paramref name="limit"/> jobs.</summary>
    public async Task<QueueDto> GetQueueAsync(int limit, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/queue?limit=" + limit.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ConversionJson.Default.QueueDto, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<JobDto> CancelAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await http.DeleteAsync("v1/jobs/" + Uri.EscapeDataString(id), cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ConversionJson.Default.JobDto, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<IReadOnlyList<ProfileDto>> GetProfilesAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/profiles", cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ConversionJson.Default.IReadOnlyListProfileDto, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The route of a job's output, relative to the broker (for a resumable download).</summary>
    public static string OutputUri(string id) => "v1/jobs/" + Uri.EscapeDataString(id) + "/output";

    /// <summary>The route of a leased job's input, relative to the broker; the call carries <see cref="LeaseHeader"/>.</summary>
    public static string InputUri(string id) => "v1/leases/" + Uri.EscapeDataString(id) + "/input";

    /// <summary>Asks for a lease, waiting up to <paramref name="waitSeconds"/> for a job; null when none came.</summary>
    public async Task<LeaseDto?> LeaseAsync(LeaseRequest lease, int waitSeconds, CancellationToken cancellationToken)
    {
        var uri = string.Create(CultureInfo.InvariantCulture, $"v1/leases?wait={waitSeconds}");
        using var response = await http.PostAsJsonAsync(uri, lease, ConversionJson.Default.LeaseRequest, cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }
        return await response.Content.ReadFromJsonAsync(ConversionJson.Default.LeaseDto, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reports progress and renews the lease; a lost lease throws with slug <c>lease-lost</c>.</summary>
    public async Task<LeaseRenewalDto> ReportProgressAsync(LeaseDto lease, ProgressReport report, CancellationToken cancellationToken)
    {
        using var request = LeaseRequestOf(HttpMethod.Post, lease, "/progress");
        request.Content = JsonContent.Create(report, ConversionJson.Default.ProgressReport);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ConversionJson.Default.LeaseRenewalDto, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Uploads the output with its digest; the broker checks it and decides whether the job succeeded.</summary>
    public async Task<JobDto> UploadOutputAsync(LeaseDto lease, Stream content, long length, string reprDigest, CancellationToken cancellationToken)
    {
        using var request = LeaseRequestOf(HttpMethod.Put, lease, "/output");
        request.Content = new StreamContent(content, 1 << 20);
        request.Content.Headers.ContentLength = length;
        request.Headers.TryAddWithoutValidation("Repr-Digest", reprDigest);
        request.Headers.ExpectContinue = true;
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ConversionJson.Default.JobDto, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Reports a failed attempt (it counts).</summary>
    public async Task<JobDto> ReportFailureAsync(LeaseDto lease, FailureReport failure, CancellationToken cancellationToken)
    {
        using var request = LeaseRequestOf(HttpMethod.Post, lease, "/failure");
        request.Content = JsonContent.Create(failure, ConversionJson.Default.FailureReport);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ConversionJson.Default.JobDto, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Hands the job back without counting an attempt (the worker is stopping).</summary>
    public async Task ReleaseAsync(LeaseDto lease, CancellationToken cancellationToken)
    {
        using var request = LeaseRequestOf(HttpMethod.Delete, lease, "");
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private static HttpRequestMessage LeaseRequestOf(HttpMethod method, LeaseDto lease, string suffix)
    {
        var request = new HttpRequestMessage(method, "v1/leases/" + Uri.EscapeDataString(lease.JobId) + suffix);
        request.Headers.TryAddWithoutValidation(LeaseHeader, lease.Token);
        return request;
    }
}
