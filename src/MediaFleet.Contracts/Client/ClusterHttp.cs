using System.Collections.Concurrent;
using System.Net.Http.Headers;
using MediaFleet.Contracts.Tls;

namespace MediaFleet.Contracts.Client;

/// <summary>
/// How a role's clients call other roles (DESIGN.md section 4): servers verified as <see cref="ClientTls"/> says, and
/// the cluster token sent only over https or to a private address.
/// </summary>
public sealed class ClusterHttp(string? token, ClientTls tls)
{
    public ClientTls Tls => tls;

    /// <summary>The cluster token, for the one call that cannot go through an HttpClient (<see cref="TrailerPut"/>).</summary>
    internal string? Token => token;

    /// <summary>
    /// An HttpClient on <paramref name="baseAddress"/>. Without <paramref name="timeout"/> a call takes as long as it
    /// takes (uploads and downloads of large files); callers cancel.
    /// </summary>
    public HttpClient Create(Uri baseAddress, TimeSpan? timeout = null)
    {
        HttpMessageHandler handler = tls.CreateHandler(h =>
        {
            h.Expect100ContinueTimeout = TimeSpan.FromSeconds(5);
            h.ConnectTimeout = TimeSpan.FromSeconds(10);
        });
        if (!string.IsNullOrEmpty(token))
        {
            handler = new BearerTokenHandler(token, tls.AllowInsecureHttp) { InnerHandler = handler };
        }
        return new HttpClient(handler)
        {
            BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/"),
            Timeout = timeout ?? Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Adds the token to each request, or fails the request where the token would travel readable.</summary>
    private sealed class BearerTokenHandler(string token, bool allowInsecureHttp) : DelegatingHandler
    {
        private readonly AuthenticationHeaderValue _header = new("Bearer", token);

        // Per scheme and authority: a follower calls one upstream, a coordinator a few nodes.
        private readonly ConcurrentDictionary<string, string?> _refusals = new(StringComparer.OrdinalIgnoreCase);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.RequestUri!;
            var key = target.GetLeftPart(UriPartial.Authority);
            if (!_refusals.TryGetValue(key, out var refusal))
            {
                refusal = await PrivateAddresses.RefusalAsync(target, allowInsecureHttp, cancellationToken).ConfigureAwait(false);
                _refusals[key] = refusal;
            }
            if (refusal is not null)
            {
                throw new PlainHttpRefusedException(refusal);
            }
            request.Headers.Authorization = _header;
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A call that was not made because it would have sent the cluster token readable over the internet.</summary>
public sealed class PlainHttpRefusedException(string message) : HttpRequestException(message);
