using System.Net;
using System.Security.Cryptography;
using System.Text;
using MediaFleet.Contracts.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Hosting;

/// <summary>What a route needs, as DESIGN.md section 4's auth column names it.</summary>
public enum AccessLevel
{
    Read,
    Write,
    Cluster,
}

/// <summary>
/// Checks the bearer token of a request against the cluster token, in constant time. Wrong tokens are logged with
/// the client's address, at most once a minute per address with a count, so someone guessing cannot flood the log.
/// </summary>
public sealed class AccessCheck(AuthOptions options, TimeProvider time, ILogger<AccessCheck> logger)
{
    private readonly WrongTokenReports _reports = new(time, logger);

    private readonly byte[]? _tokenHash = string.IsNullOrEmpty(options.Token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.Token));

    /// <summary>Null when the request may go on, else the problem to answer with (401 or 403).</summary>
    public IResult? Check(HttpRequest request, AccessLevel level)
    {
        if (_tokenHash is null || (level == AccessLevel.Read && !options.ProtectReads))
        {
            return null;
        }
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Problem.Of(ProblemTypes.Unauthorized, "send the cluster token as 'Authorization: Bearer <token>'");
        }
        // Hashing both sides gives equal lengths, so the comparison time says nothing about the token.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim()));
        if (CryptographicOperations.FixedTimeEquals(given, _tokenHash))
        {
            return null;
        }
        _reports.Add(request.HttpContext.Connection.RemoteIpAddress);
        return Problem.Of(ProblemTypes.Forbidden, "the token is not this cluster's token");
    }
}

/// <summary>Counts wrong tokens per client address; reports the first at once, then at most one line a minute with the count.</summary>
internal sealed class WrongTokenReports(TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    private readonly Dictionary<IPAddress, (DateTimeOffset ReportedAt, int Unreported)> _addresses = [];
    private readonly Lock _gate = new();

    public void Add(IPAddress? address)
    {
        address ??= IPAddress.None;
        var now = time.GetUtcNow();
        int count;
        lock (_gate)
        {
            if (_addresses.TryGetValue(address, out var entry) && now - entry.ReportedAt < Period)
            {
                _addresses[address] = entry with { Unreported = entry.Unreported + 1 };
                return;
            }
            count = _addresses.TryGetValue(address, out entry) ? entry.Unreported + 1 : 1;
            if (_addresses.Count > 10_000)
            {
                // Quiet addresses are forgotten (their counts unreported) rather than growing the table without end.
                foreach (var stale in _addresses.Where(a => now - a.Value.ReportedAt >= Period).Select(a => a.Key).ToList())
                {
                    _addresses.Remove(stale);
                }
            }
            _addresses[address] = (now, 0);
        }
        Log.WrongToken(logger, address.ToString(), count);
    }
}

/// <summary>Puts an access check in front of a minimal-API endpoint.</summary>
public static class AccessEndpointExtensions
{
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, AccessLevel level) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var check = context.HttpContext.RequestServices.GetRequiredService<AccessCheck>();
            return check.Check(context.HttpContext.Request, level) ?? await next(context).ConfigureAwait(false);
        });
        return builder;
    }
}
