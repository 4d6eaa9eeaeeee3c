using MediaFleet.Contracts.Problems;
using Microsoft.AspNetCore.Http;

namespace MediaFleet.Hosting;

/// <summary>RFC 9457 problem answers with DESIGN.md's slugs: one status and title per slug.</summary>
public static class Problem
{
    public static IResult Of(string slug, string detail, int? status = null) =>
        TypedResults.Problem(detail, statusCode: status ?? StatusOf(slug), title: TitleOf(slug), type: ProblemTypes.Uri(slug));

    /// <summary>The problem for a bare status that no handler described (unknown route, wrong method, bad query).</summary>
    public static IResult ForStatus(int status) => status switch
    {
        StatusCodes.Status404NotFound => Of(ProblemTypes.NotFound, "no such route", status),
        StatusCodes.Status401Unauthorized => Of(ProblemTypes.Unauthorized, "a token is needed", status),
        StatusCodes.Status403Forbidden => Of(ProblemTypes.Forbidden, "the token is not accepted", status),
        StatusCodes.Status405MethodNotAllowed => Of(ProblemTypes.InvalidRequest, "this method is not allowed on this route", status),
        _ => Of(ProblemTypes.InvalidRequest, "the request could not be read (a query value or body of the wrong form)", status),
    };

    public static int StatusOf(string slug) => slug switch
    {
        ProblemTypes.NotFound => StatusCodes.Status404NotFound,
        ProblemTypes.Unauthorized => StatusCodes.Status401Unauthorized,
        ProblemTypes.Forbidden => StatusCodes.Status403Forbidden,
        ProblemTypes.PreconditionFailed => StatusCodes.Status412PreconditionFailed,
        ProblemTypes.InsufficientStorage => StatusCodes.Status507InsufficientStorage,
        ProblemTypes.ChangesCompacted => StatusCodes.Status410Gone,
        ProblemTypes.UnsupportedMedia => StatusCodes.Status415UnsupportedMediaType,
        ProblemTypes.NoServer => StatusCodes.Status503ServiceUnavailable,
        ProblemTypes.JobNotDone or ProblemTypes.JobFinished or ProblemTypes.LeaseLost => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string TitleOf(string slug) => slug switch
    {
        ProblemTypes.InvalidPath => "Invalid library path",
        ProblemTypes.NotFound => "Not found",
        ProblemTypes.DigestMismatch => "Digest mismatch",
        ProblemTypes.PreconditionFailed => "Precondition failed",
        ProblemTypes.InsufficientStorage => "Insufficient storage",
        ProblemTypes.Unauthorized => "Unauthorized",
        ProblemTypes.Forbidden => "Forbidden",
        ProblemTypes.ChangesCompacted => "Changes compacted",
        ProblemTypes.NotPrimary => "Not the primary",
        ProblemTypes.InvalidHeartbeat => "Invalid heartbeat",
        ProblemTypes.NoServer => "No server available",
        ProblemTypes.UnsupportedMedia => "Unsupported media",
        ProblemTypes.JobNotDone => "Job not done",
        ProblemTypes.JobFinished => "Job finished",
        ProblemTypes.LeaseLost => "Lease lost",
        _ => "Invalid request",
    };
}
