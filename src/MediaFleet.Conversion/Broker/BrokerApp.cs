using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Problems;
using MediaFleet.Contracts.Tls;
using MediaFleet.Conversion.Profiles;
using MediaFleet.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Conversion.Broker;

/// <summary>Builds the broker's web host: the job store, the public routes, the worker protocol, the page and metrics.</summary>
public static class BrokerApp
{
    /// <summary>
    /// Builds a broker from validated configuration; before it serves, half-uploaded files and job folders without a job
    /// (a crash mid-upload) are deleted.
    /// </summary>
    public static WebApplication Build(IConfiguration configuration, Action<ILoggingBuilder>? logging = null)
    {
        var options = BrokerOptions.From(configuration);
        var auth = AuthOptions.From(configuration);
        var tls = TlsOptions.From(configuration);
        var profiles = ProfileCatalog.From(configuration);
        var errors = options.Validate().Concat(profiles.Errors).Concat(auth.Validate()).Concat(tls.Validate([options.Listen])).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidSettingsException(errors);
        }
        var certificate = tls.Certificate is null ? null : ServerCertificate.Load(tls.Certificate, tls.Key!);

        var builder = RoleHost.CreateBuilder(configuration, listen: null, logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            RoleHost.Listen(kestrel, options.Listen, certificate, _ => { });
            // Inputs and outputs have no size limit; bodies stream to disk in constant memory.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        var files = new JobFiles(options.Data, options.ReserveBytes);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton(files);
        builder.Services.AddSingleton(profiles);
        builder.Services.AddSingleton(new ClusterHttp(auth.Token, ClientTls.From(tls)));
        builder.Services.AddSingleton<AccessCheck>();
        builder.Services.AddSingleton(_ => JobStore.Open(files.Database));
        builder.Services.AddSingleton<BrokerMetrics>();
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddHostedService<LeaseReaper>();
        builder.Services.AddHostedService<FileCleanup>();
        builder.Services.AddHostedService<LibraryIngest>();
        RoleMetrics.Add(builder, BrokerMetrics.MeterName, _ => RoleIdentity.Of("broker"), sp => sp.GetRequiredService<BrokerMetrics>());

        var app = builder.Build();
        var store = app.Services.GetRequiredService<JobStore>();
        var removed = files.CleanUp(store.Exists);
        store.ExtendLeases(app.Services.GetRequiredService<TimeProvider>().GetUtcNow() + TimeSpan.FromSeconds(options.LeaseSeconds));

        app.UseStatusCodePages(context => Problem.ForStatus(context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        app.MapGet("/healthz", () => TypedResults.Text("ok\n"));
        app.MapJobs();
        app.MapLeases();
        app.MapBrokerPage();
        RoleMetrics.Map(app);

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MediaFleet.Broker");
            if (auth.InsecureNoAuth && string.IsNullOrEmpty(auth.Token))
            {
                Log.InsecureNoAuth(logger);
            }
            if (auth.TokenOnCommandLine)
            {
                RoleHost.WarnTokenOnCommandLine(logger);
            }
            if (removed.Count > 0)
            {
                Log.CleanedUp(logger, removed.Count);
            }
            Log.Started(logger, files.Data, string.Join(' ', RoleHost.BoundUrls(app.Services)));
        });
        return app;
    }
}
