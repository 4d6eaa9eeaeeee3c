using MediaFleet.Coordinator.Events;
using MediaFleet.Coordinator.Scores;
using MediaFleet.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MediaFleet.Coordinator.Tests.Events;

/// <summary>A copy that a node quarantined shows among the coordinator's events at the next gathering of catalogs.</summary>
public sealed class QuarantineEventTests
{
    [Fact]
    public async Task Gathering_ACopyTurnedCorruptSinceTheLastOne_IsAQuarantineEvent()
    {
        // No other copy anywhere, so the node cannot heal it before the coordinator looks.
        await using var coordinator = await TestCoordinator.StartAsync(new Dictionary<string, string?> { ["Score:RefreshSeconds"] = "3600" });
        await using var primary = await TestNode.StartAsync(settings: coordinator.NodeSettings("p"));
        var content = new byte[4096];
        Random.Shared.NextBytes(content);
        using (var body = new MemoryStream(content))
        {
            await primary.Client.PutFileAsync("films/a.mkv", body, body.Length, null, CancellationToken.None);
        }
        await Eventually.TrueAsync(async () => (await coordinator.NodeAsync("p"))?.Version == 1, "the primary's heartbeat with the file");
        var keeper = coordinator.Services.GetRequiredService<ScoreKeeper>();
        var events = coordinator.Services.GetRequiredService<RecentEvents>();
        await keeper.RefreshAsync(CancellationToken.None);
        Assert.DoesNotContain(events.Newest(), e => e.Kind == EventKind.Quarantine);

        content[100] ^= 0x40;
        await File.WriteAllBytesAsync(Path.Combine(primary.Library, "films/a.mkv"), content);
        await foreach (var _ in primary.Client.VerifyAsync("", CancellationToken.None))
        {
        }
        await keeper.RefreshAsync(CancellationToken.None);

        var quarantine = Assert.Single(events.Newest(), e => e.Kind == EventKind.Quarantine);
        Assert.Equal(("p", "corrupt copy of films/a.mkv quarantined"), (quarantine.Server, quarantine.Text));
    }
}
