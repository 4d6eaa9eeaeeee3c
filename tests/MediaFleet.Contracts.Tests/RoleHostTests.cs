using MediaFleet.Contracts.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Contracts.Tests;

/// <summary>A role whose background work died must not look like a clean stop: its host says which service failed.</summary>
public sealed class RoleHostTests
{
    [Fact]
    public async Task RunUntilStopped_AServiceThrew_StopsAndNamesItAndItsError()
    {
        var builder = RoleHost.CreateBuilder(new ConfigurationBuilder().AddInMemoryCollection().Build(), "http://127.0.0.1:0", logging => logging.ClearProviders());
        builder.Services.AddHostedService<Quiet>();
        builder.Services.AddHostedService<Crashing>();
        await using var app = builder.Build();

        var failure = await RoleHost.RunUntilStoppedAsync(app).WaitAsync(TimeSpan.FromSeconds(30)); // the failure stops the host by itself

        Assert.Equal("Crashing failed: the disk fell out", failure);
        Assert.Equal(failure, RoleHost.BackgroundFailure(app.Services));
    }

    [Fact]
    public async Task BackgroundFailure_StoppedCleanly_IsNull()
    {
        var builder = RoleHost.CreateBuilder(new ConfigurationBuilder().AddInMemoryCollection().Build(), "http://127.0.0.1:0", logging => logging.ClearProviders());
        builder.Services.AddHostedService<Quiet>();
        await using var app = builder.Build();
        await app.StartAsync();

        await app.StopAsync();

        Assert.Null(RoleHost.BackgroundFailure(app.Services));
    }

    private sealed class Quiet : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);
    }

    /// <summary>Fails once the host serves, as a loop of a running role would.</summary>
    private sealed class Crashing(IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken);
            }
            throw new InvalidOperationException("the disk fell out");
        }
    }
}
