using System.Security.Cryptography;
using System.Text;
using MediaFleet.Contracts.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MediaFleet.Contracts.Hosting;

/// <summary>What a route needs, as DESIGN.md section 4's auth column names it.</summary>
public enum AccessLevel
{
    Read,
    Write,
    Cluster,
}

/// <summary>Checks the bearer token of a request against the cluster token, in constant time.</summary>
public sealed class AccessCheck(AuthOptions options)
{
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
        return CryptographicOperations.FixedTimeEquals(given, _tokenHash)
            ? null
            : Problem.Of(ProblemTypes.Forbidden, "the token is not this cluster's token");
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
