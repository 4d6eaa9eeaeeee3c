using System.Net.Http.Json;
using MediaFleet.Contracts.Coordinator;

namespace MediaFleet.Contracts.Client;

/// <summary>A typed client for the coordinator: heartbeats from nodes, views for the CLI and tests.</summary>
public sealed class CoordinatorClient(HttpClient http)
{
    /// <summary>An HttpClient for the coordinator; a heartbeat that takes longer than an interval is not worth waiting for.</summary>
    public static HttpClient CreateHttp(Uri coordinator, string? token, TimeSpan timeout)
    {
        var client = NodeClient.CreateHttp(coordinator, token);
        client.Timeout = timeout;
        return client;
    }

    public async Task SendHeartbeatAsync(HeartbeatDto heartbeat, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("v1/heartbeats", heartbeat, CoordinatorJson.Default.HeartbeatDto, cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<NodeStateDto>> GetNodesAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/nodes", cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(CoordinatorJson.Default.IReadOnlyListNodeStateDto, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<CoordinatorStateDto> GetStateAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/coordinator", cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(CoordinatorJson.Default.CoordinatorStateDto, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<ScoreDto> GetScoreAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/score", cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(CoordinatorJson.Default.ScoreDto, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary><c>GET /v1/score/files?below=X</c>: files scoring below X (null: the coordinator's RepairBelow), worst first.</summary>
    public async Task<IReadOnlyList<FileScoreDto>> GetFilesBelowAsync(double? below, CancellationToken cancellationToken)
    {
        var uri = below is { } x ? "v1/score/files?below=" + x.ToString(System.Globalization.CultureInfo.InvariantCulture) : "v1/score/files";
        using var response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        await NodeClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(CoordinatorJson.Default.IReadOnlyListFileScoreDto, cancellationToken).ConfigureAwait(false))!;
    }
}
