using System.Buffers;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Problems;
using MediaFleet.Coordinator.Nginx;
using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Heartbeats;

/// <summary><c>POST /v1/heartbeats</c>, <c>GET /v1/nodes</c>, <c>GET /v1/coordinator</c> and <c>/healthz</c>.</summary>
internal static class HeartbeatEndpoints
{
    public static void MapHeartbeats(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("ok\n"));
        app.MapPost("/v1/heartbeats", ReceiveAsync).RequireAccess(AccessLevel.Cluster);
        app.MapGet("/v1/nodes", (ServerRegistry registry) =>
        {
            IReadOnlyList<NodeStateDto> nodes = registry.Snapshot().Select(ToDto).ToList();
            return TypedResults.Json(nodes, CoordinatorJson.Default.IReadOnlyListNodeStateDto);
        }).RequireAccess(AccessLevel.Read);
        app.MapGet("/v1/coordinator", (ServerRegistry registry, CoordinatorApp.ListenEndpoints endpoints, IServiceProvider services) =>
        {
            // The balancer's bound URL, not the configured one: port 0 is resolved.
            var state = new CoordinatorStateDto(registry.StartedAt, registry.GraceOver, registry.TrustedPrimaryId, registry.PrimaryConflict,
                services.GetService<NginxFileKeeper>()?.Describe(), endpoints.ProxyUrl);
            return TypedResults.Json(state, CoordinatorJson.Default.CoordinatorStateDto);
        }).RequireAccess(AccessLevel.Read);
    }

    private static async Task<IResult> ReceiveAsync(HttpContext context, ServerRegistry registry, TimeProvider time, CoordinatorMetrics metrics, ILogger<ServerRegistry> logger)
    {
        var (body, length, error) = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (error is null)
            {
                if (HeartbeatRules.TryRead(body.AsSpan(0, length), time.GetUtcNow(), out var heartbeat, out var invalid))
                {
                    registry.Record(heartbeat);
                    metrics.Heartbeat(accepted: true);
                    return TypedResults.NoContent();
                }
                error = invalid;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
        metrics.Heartbeat(accepted: false);
        Log.HeartbeatRefused(logger, error);
        return Problem.Of(ProblemTypes.InvalidHeartbeat, error);
    }

    /// <summary>Reads at most <see cref="HeartbeatRules.MaxBytes"/>; a larger body is refused without reading it all.</summary>
    private static async Task<(byte[] Body, int Length, string? Error)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HeartbeatRules.MaxBytes + 1);
        if (request.ContentLength > HeartbeatRules.MaxBytes)
        {
            return (buffer, 0, $"the body is {request.ContentLength} bytes; a heartbeat is at most {HeartbeatRules.MaxBytes}");
        }
        var length = 0;
        int read;
        while (length <= HeartbeatRules.MaxBytes
            && (read = await request.Body.ReadAsync(buffer.AsMemory(length, HeartbeatRules.MaxBytes + 1 - length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }
        return length > HeartbeatRules.MaxBytes
            ? (buffer, 0, $"the body is larger than {HeartbeatRules.MaxBytes} bytes, too large for a heartbeat")
            : (buffer, length, null);
    }

    private static NodeStateDto ToDto(ServerView view)
    {
        var h = view.Last;
        return new NodeStateDto(h.Id, h.Address, h.Url, ServerRegistry.Name(view.State), view.Reason, h.Load, h.Version, h.SeenVersion,
            h.Primary, h.ForceDown, h.ForceBackup, h.Site.Length == 0 ? null : h.Site, h.Missing, h.FreeBytes, h.ReceivedAt);
    }
}
