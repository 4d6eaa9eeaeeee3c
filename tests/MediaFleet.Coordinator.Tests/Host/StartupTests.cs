using System.Net;
using MediaFleet.Testing;

namespace MediaFleet.Coordinator.Tests.Host;

public sealed class StartupTests
{
    [Fact]
    public async Task Coordinator_WithProxyOnPortZero_ReportsBothRealPorts()
    {
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Coordinator:Proxy"] = "http://127.0.0.1:0" });

        Assert.DoesNotContain(":0", coordinator.Url.Replace("127.0.0.1", ""), StringComparison.Ordinal);
        Assert.NotNull(coordinator.ProxyUrl);
        Assert.NotEqual(coordinator.Url, coordinator.ProxyUrl);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(coordinator.Url + "/healthz")).StatusCode);
        // The balancer's port forwards /files only; with no server known it answers 503.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(coordinator.ProxyUrl + "/files/a.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(coordinator.ProxyUrl + "/healthz")).StatusCode);
    }
}
