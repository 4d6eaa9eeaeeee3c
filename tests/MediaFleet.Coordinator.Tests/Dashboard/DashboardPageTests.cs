using System.Net;
using System.Net.Http.Json;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Coordinator.Configuration;
using MediaFleet.Coordinator.Dashboard;
using MediaFleet.Coordinator.States;
using MediaFleet.Coordinator.Tests.States;
using MediaFleet.Testing;

namespace MediaFleet.Coordinator.Tests.Dashboard;

public sealed class DashboardPageTests
{
    [Fact]
    public void Render_ShowsEachServerWithItsStateAndEncodesWhatNodesSent()
    {
        var up = HeartbeatBuilder.Beat("a", primary: true) with { Site = "<b>attic</b>" };
        var down = HeartbeatBuilder.Beat("bb");
        var nginx = new NginxStateDto("/etc/nginx/up.conf", null, 0, 0, "'nginx -t' exited with 1: <emerg>", HeartbeatBuilder.Now);

        var html = DashboardPage.Render([new(up, ServerState.Up, "ok"), new(down, ServerState.Down, "silent")], ["a", "c"], nginx, new CoordinatorOptions(), HeartbeatBuilder.Now);

        Assert.Contains("1 up, 0 backup, 1 down", html, StringComparison.Ordinal);
        Assert.Contains("<td>a (primary)</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"down\">down</td><td>silent</td>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;attic&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>attic", html, StringComparison.Ordinal);
        Assert.Contains("Two primaries: a, c", html, StringComparison.Ordinal);
        Assert.Contains("&lt;emerg&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetRoot_AnswersTheDashboardAsHtml()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var heartbeat = new HeartbeatDto("n1", "127.0.0.1:9", "http://127.0.0.1:9", 0.1, 3, false, false, false);
        (await coordinator.Http.PostAsJsonAsync("v1/heartbeats", heartbeat, CoordinatorJson.Default.HeartbeatDto)).EnsureSuccessStatusCode();

        using var response = await coordinator.Http.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<td>127.0.0.1:9</td>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
