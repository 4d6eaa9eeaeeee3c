using MediaFleet.Contracts.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MediaFleet.Contracts.Tests;

public sealed class RoleHostTests
{
    [Fact]
    public async Task CrashedBackgroundServices_NamesTheServiceThatStoppedTheHost_AndIsEmptyAfterACleanStop()
    {
        var crashing = await RunAsync(crash: true);
        var clean = await RunAsync(crash: false);

        Assert.Equal(["Worker: disk on fire"], crashing);
        Assert.Empty(clean);
    }

    /// <summary>Runs a role host with one background service until it stops (by itself, or told to).</summary>
    private static async Task<IReadOnlyList<string>> RunAsync(bool crash)
    {
        var builder = RoleHost.CreateBuilder(new ConfigurationBuilder().AddInMemoryCollection().Build(), "http://127.0.0.1:0", null);
        builder.Services.AddSingleton(new Worker(crash));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Worker>());
        await using var app = builder.Build();
        await app.StartAsync();
        if (!crash)
        {
            await app.StopAsync();
        }
        await app.WaitForShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return RoleHost.CrashedBackgroundServices(app.Services);
    }

    private sealed class Worker(bool crash) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            if (crash)
            {
                throw new IOException("disk on fire");
            }
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
    }
}
