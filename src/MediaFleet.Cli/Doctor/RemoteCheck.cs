using System.Net;
using System.Text;
using System.Text.Json;
using MediaFleet.Cli.Commands;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;
using MediaFleet.Contracts.Problems;

namespace MediaFleet.Cli.Doctor;

/// <summary>
/// Whether another role answers and takes the cluster token, by a call that needs the token and changes nothing, and
/// whether the clocks agree (its HTTP <c>Date</c>).
/// </summary>
internal sealed class RemoteCheck(ClusterHttp cluster, bool hasToken, TimeProvider time)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A node (an upstream, the broker's primary): <c>GET /v1/changes</c> from its own version, a cluster route.</summary>
    public Task<IReadOnlyList<Finding>> NodeAsync(string check, string url, CancellationToken cancellationToken) =>
        CheckAsync(check, url, "GET /v1/changes", async (http, token) =>
        {
            using var status = await http.GetAsync("v1/status", token).ConfigureAwait(false);
            var version = status.IsSuccessStatusCode
                ? JsonSerializer.Deserialize(await status.Content.ReadAsStringAsync(token).ConfigureAwait(false), ContractJson.Default.StatusDto)?.Version ?? 0
                : 0;
            return await http.GetAsync($"v1/changes?since={version}&limit=1", token).ConfigureAwait(false);
        }, (answer, _) => Task.FromResult(answer.StatusCode == HttpStatusCode.OK), cancellationToken);

    /// <summary>
    /// A coordinator: its one cluster route is <c>POST /v1/heartbeats</c>; an empty heartbeat is refused as
    /// <c>invalid-heartbeat</c> after the token is checked, and changes nothing (DESIGN.md section 6).
    /// </summary>
    public Task<IReadOnlyList<Finding>> CoordinatorAsync(string check, string url, CancellationToken cancellationToken) =>
        CheckAsync(check, url, "POST /v1/heartbeats {}", (http, token) =>
            http.PostAsync("v1/heartbeats", new StringContent("{}", Encoding.UTF8, "application/json"), token),
            (answer, token) => IsProblemAsync(answer, HttpStatusCode.BadRequest, ProblemTypes.InvalidHeartbeat, token), cancellationToken);

    /// <summary>A broker: the worker protocol's input of a lease nobody holds is 409 <c>lease-lost</c> after the token is checked.</summary>
    public Task<IReadOnlyList<Finding>> BrokerAsync(string check, string url, CancellationToken cancellationToken) =>
        CheckAsync(check, url, "GET /v1/leases/…/input", (http, token) =>
            http.GetAsync("v1/leases/mfleet-doctor/input", token),
            (answer, token) => IsProblemAsync(answer, HttpStatusCode.Conflict, ProblemTypes.LeaseLost, token), cancellationToken);

    private async Task<IReadOnlyList<Finding>> CheckAsync(string check, string url, string call,
        Func<HttpClient, CancellationToken, Task<HttpResponseMessage>> send, Func<HttpResponseMessage, CancellationToken, Task<bool>> accepted, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return [Finding.Fail(check, $"'{url}' is not an http URL")];
        }
        using var http = cluster.Create(uri, Timeout);
        var sentAt = time.GetUtcNow();
        HttpResponseMessage answer;
        try
        {
            answer = hasToken
                ? await send(http, cancellationToken).ConfigureAwait(false)
                : await http.GetAsync("healthz", cancellationToken).ConfigureAwait(false);
        }
        catch (PlainHttpRefusedException e)
        {
            return [Finding.Fail(check, e.Message)];
        }
        catch (HttpRequestException e)
        {
            return [Finding.Fail(check, $"cannot reach {url}: {Common.Reason(e)}")];
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return [Finding.Fail(check, $"{url} did not answer within {Timeout.TotalSeconds:0} s")];
        }
        using (answer)
        {
            var clock = Judgements.Clock(check + " clock", url, answer.Headers.Date, sentAt, time.GetUtcNow());
            Finding reach;
            if (!hasToken)
            {
                reach = answer.IsSuccessStatusCode
                    ? Finding.Warn(check, $"{url} answers /healthz; the token is not checked (none is set)")
                    : Finding.Fail(check, $"{url} answers /healthz with {(int)answer.StatusCode}");
            }
            else if (await accepted(answer, cancellationToken).ConfigureAwait(false))
            {
                reach = Finding.Ok(check, $"{url} answers and takes the token ({call})");
            }
            else
            {
                reach = Finding.Fail(check, answer.StatusCode switch
                {
                    HttpStatusCode.Unauthorized => $"{url} asks for a token (401) although one was sent",
                    HttpStatusCode.Forbidden => $"{url} refuses this token (403): it has another cluster token",
                    _ => $"{url} answered {call} with {(int)answer.StatusCode} {answer.ReasonPhrase}: is it the right role?",
                });
            }
            return [reach, clock];
        }
    }

    /// <summary>Whether the answer is the problem document with <paramref name="slug"/> that a role gives only past its token check.</summary>
    private static async Task<bool> IsProblemAsync(HttpResponseMessage answer, HttpStatusCode status, string slug, CancellationToken cancellationToken)
    {
        if (answer.StatusCode != status)
        {
            return false;
        }
        try
        {
            var problem = JsonSerializer.Deserialize(await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), ContractJson.Default.ProblemDto);
            return ProblemTypes.SlugOf(problem?.Type) == slug;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
