using MediaFleet.Contracts.Coordinator;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Problems;

namespace MediaFleet.Coordinator.Scores;

/// <summary><c>GET /v1/score</c> and <c>GET /v1/score/files?below=X</c> (DESIGN.md section 6's coordinator routes).</summary>
internal static class ScoreEndpoints
{
    public static void MapScores(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/score", (ScoreKeeper keeper) => TypedResults.Json(keeper.Describe(), CoordinatorJson.Default.ScoreDto))
            .RequireAccess(AccessLevel.Read);
        app.MapGet("/v1/score/files", (ScoreKeeper keeper, Configuration.ScoreOptions options, double? below) =>
            below is { } x && (double.IsNaN(x) || x < 0)
                ? Problem.Of(ProblemTypes.InvalidRequest, "below must be a score, 0 or more")
                : TypedResults.Json(keeper.FilesBelow(below ?? options.RepairBelow ?? options.MaxScore), CoordinatorJson.Default.IReadOnlyListFileScoreDto))
            .RequireAccess(AccessLevel.Read);
    }
}
