using System.Diagnostics.Metrics;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Problems;
using MediaFleet.Contracts.Tls;
using MediaFleet.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Conversion.Worker;

/// <summary>Builds a worker's host: its slots leasing from the broker, and <c>/healthz</c> and <c>/metrics</c>.</summary>
public static class WorkerApp
{
    public const string MeterName = "MediaFleet.Worker";

    public static WebApplication Build(IConfiguration configuration, Action<ILoggingBuilder>? logging = null)
    {
        var options = WorkerOptions.From(configuration);
        var auth = AuthOptions.From(configuration);
        var tls = TlsOptions.From(configuration);
        var errors = options.Validate().Concat(auth.Validate()).Concat(tls.Validate([options.Listen])).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidSettingsException(errors);
        }
        var certificate = tls.Certificate is null ? null : ServerCertificate.Load(tls.Certificate, tls.Key!);
        options.Scratch = Path.GetFullPath(options.Scratch);
        var id = options.Id ?? $"{Environment.MachineName}-{Environment.ProcessId}";

        var builder = RoleHost.CreateBuilder(configuration, listen: null, logging);
        builder.WebHost.ConfigureKestrel(kestrel => RoleHost.Listen(kestrel, options.Listen, certificate, _ => { }));
        // A worker stopping hands its jobs back: ffmpeg is stopped and the broker told within seconds.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton<AccessCheck>();
        var cluster = new ClusterHttp(auth.Token, ClientTls.From(tls));
        builder.Services.AddSingleton(cluster);
        builder.Services.AddSingleton(_ => new BrokerClient(cluster.Create(new Uri(options.Broker))));
        builder.Services.AddSingleton(new WorkerState(id));
        builder.Services.AddSingleton(sp => new JobRunner(sp.GetRequiredService<BrokerClient>(), options, id, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<JobRunner>>()));
        builder.Services.AddHostedService<WorkerService>();
        RoleMetrics.Add(builder, MeterName, _ => RoleIdentity.Of("worker", id));

        var app = builder.Build();
        var state = app.Services.GetRequiredService<WorkerState>();
        var meter = app.Services.GetRequiredService<IMeterFactory>().Create(MeterName);
        meter.CreateObservableCounter("mfleet.worker.jobs", () => state.Ends
            .Select(e => new Measurement<long>(e.Value, new KeyValuePair<string, object?>("end", e.Key.ToString().ToLowerInvariant()))),
            "{job}", "Jobs this worker ran, by how they ended");
        meter.CreateObservableGauge("mfleet.worker.slots", () => options.Slots, "{slot}", "Jobs this worker runs at once");

        app.UseStatusCodePages(context => Problem.ForStatus(context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        app.MapGet("/healthz", () => TypedResults.Text("ok\n"));
        RoleMetrics.Map(app);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MediaFleet.Worker");
            if (auth.TokenOnCommandLine)
            {
                RoleHost.WarnTokenOnCommandLine(logger);
            }
            Log.Started(logger, id, options.Slots, options.Scratch, options.Broker, string.Join(' ', RoleHost.BoundUrls(app.Services)));
        });
        return app;
    }
}
