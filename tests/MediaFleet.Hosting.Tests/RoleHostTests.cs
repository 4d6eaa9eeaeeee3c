using MediaFleet.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MediaFleet.Contracts.Tests;

public sealed class RoleHostTests
{
    [Fact]
    public async Task RunAsync_NamesTheBackgroundServiceThatStoppedTheHost_AndNothingAfterACleanStop()
    {
        var crashing = await RunAsync(crash: true).WaitAsync(TimeSpan.FromSeconds(30));
        var clean = await RunAsync(crash: false).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["Worker: disk on fire"], crashing);
        Assert.Empty(clean);
    }

    /// <summary>Runs a role host (real Kestrel on port 0) whose one background service crashes or asks to stop.</summary>
    private static async Task<IReadOnlyList<string>> RunAsync(bool crash)
    {
        var builder = RoleHost.CreateBuilder(new ConfigurationBuilder().AddInMemoryCollection().Build(), "http://127.0.0.1:0", null);
        builder.Services.AddHostedService(sp => new Worker(crash, sp.GetRequiredService<IHostApplicationLifetime>()));
        await using var app = builder.Build();
        return await RoleHost.RunAsync(app);
    }

    private sealed class Worker(bool crash, IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            if (crash)
            {
                throw new IOException("disk on fire");
            }
            using var stop = lifetime.ApplicationStarted.Register(lifetime.StopApplication);
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
    }
}
