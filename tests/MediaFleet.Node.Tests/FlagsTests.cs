using System.Net;
using System.Net.Http.Json;
using System.Text;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>The force bits: <c>POST /v1/flags</c>, the files behind them, and <c>/v1/status</c>.</summary>
public sealed class FlagsTests
{
    [Fact]
    public async Task PostFlags_SetsAndClearsTheFilesAndStatusShowsThem()
    {
        await using var node = await TestNode.StartAsync();

        var set = await node.Client.SetFlagsAsync(true, true, CancellationToken.None);
        Assert.Equal((true, true), (set.ForceDown, set.ForceBackup));
        Assert.True(File.Exists(Path.Combine(node.Library, ".mfleet", "force_down")));
        Assert.True(File.Exists(Path.Combine(node.Library, ".mfleet", "force_backup")));
        var status = await node.Client.GetStatusAsync(CancellationToken.None);
        Assert.Equal((true, true), (status.ForceDown, status.ForceBackup));

        var cleared = await node.Client.SetFlagsAsync(false, null, CancellationToken.None);
        Assert.Equal((false, true), (cleared.ForceDown, cleared.ForceBackup));
        Assert.False(File.Exists(Path.Combine(node.Library, ".mfleet", "force_down")));
    }

    [Fact]
    public async Task FlagFileMadeByHand_ShowsInStatus()
    {
        await using var node = await TestNode.StartAsync();

        await File.WriteAllTextAsync(Path.Combine(node.Library, ".mfleet", "force_backup"), "");

        var status = await node.Client.GetStatusAsync(CancellationToken.None);
        Assert.Equal((false, true), (status.ForceDown, status.ForceBackup));
    }

    [Fact]
    public async Task FlagsSurviveARestart()
    {
        using var library = new TempFolder();
        await using (var node = await TestNode.StartAsync(library.Path))
        {
            await node.Client.SetFlagsAsync(true, null, CancellationToken.None);
        }

        await using var again = await TestNode.StartAsync(library.Path);

        Assert.True((await again.Client.GetStatusAsync(CancellationToken.None)).ForceDown);
    }

    [Theory]
    [InlineData("{\"force_down\": \"yes\"}")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task PostFlags_BadBody_Is400AndChangesNothing(string body)
    {
        await using var node = await TestNode.StartAsync();

        using var response = await node.Http.PostAsync("v1/flags", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidRequest);
        Assert.False(File.Exists(Path.Combine(node.Library, ".mfleet", "force_down")));
    }

    [Fact]
    public async Task PostFlags_WithoutToken_Is401()
    {
        await using var node = await TestNode.StartAsync();
        using var anonymous = node.Authorized(null);

        using var response = await anonymous.PostAsJsonAsync("v1/flags", new { force_down = true });

        await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        Assert.False(File.Exists(Path.Combine(node.Library, ".mfleet", "force_down")));
    }
}
