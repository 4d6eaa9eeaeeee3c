using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace MediaFleet.Hosting;

/// <summary>
/// Who a role's <c>/metrics</c> speaks for: the OpenTelemetry resource, which the Prometheus exporter shows as
/// <c>target_info{service_name="mfleet-node", service_instance_id="b", …} 1</c>.
/// </summary>
public sealed record RoleIdentity(string ServiceName, string InstanceId, IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>A data node: its id, its site when it has one, and whether it is the primary.</summary>
    public static RoleIdentity Node(string id, string? site, bool primary)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["mfleet.node.id"] = id,
            ["mfleet.node.role"] = primary ? "primary" : "follower",
        };
        if (!string.IsNullOrEmpty(site))
        {
            attributes["mfleet.site"] = site;
        }
        return new("mfleet-node", id, attributes);
    }

    /// <summary>A coordinator, a broker or a worker: one per machine (or named, for a worker), so the host name tells which.</summary>
    public static RoleIdentity Of(string role, string? instanceId = null) =>
        new("mfleet-" + role, instanceId ?? Environment.MachineName, new Dictionary<string, string>(StringComparer.Ordinal));
}

/// <summary>What every role's metrics share: the OpenTelemetry meter provider, its resource and the Prometheus exporter.</summary>
public static class RoleMetrics
{
    /// <summary>The version every role reports, as <c>mfleet --version</c> prints it.</summary>
    public static string Version { get; } =
        typeof(RoleMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>
    /// Exports the instruments of <paramref name="meterName"/> at <c>/metrics</c> (mapped by the role with
    /// <see cref="Map"/>) under the role's identity. The meter provider is built when the host starts: then the
    /// identity is asked for and <paramref name="instruments"/> is created, so every gauge is there from the first
    /// scrape, and a counter or histogram records from the start.
    /// With <paramref name="buildOnFirstScrape"/> it is built by the first scrape instead, for a role whose start-up
    /// time counts (a node: a restarted follower's catch-up, issue 12). The provider costs 50 ms of a core (its generic
    /// types built at run time by the native build); that scrape answers that much later. Such a role's instruments
    /// must be observable: a counter's measurements are dropped while no provider listens.
    /// </summary>
    public static void Add(WebApplicationBuilder builder, string meterName, Func<IServiceProvider, RoleIdentity> identity,
        Func<IServiceProvider, object>? instruments = null, bool buildOnFirstScrape = false)
    {
        builder.Services.AddSingleton(services => new RoleMeterProvider(services, meterName, identity, instruments));
        if (!buildOnFirstScrape)
        {
            builder.Services.AddHostedService(services => new RoleMeterProvider.BuildAtStart(services.GetRequiredService<RoleMeterProvider>()));
        }
    }

    /// <summary>Maps <c>/metrics</c> of a role set up by <see cref="Add"/>.</summary>
    public static IEndpointConventionBuilder Map(WebApplication app) =>
        app.Map("/metrics", app.Services.GetRequiredService<RoleMeterProvider>().ScrapeAsync);

    /// <summary>The resource attributes of <paramref name="identity"/> (OpenTelemetry semantic conventions for service.*).</summary>
    internal static Dictionary<string, object> Attributes(RoleIdentity identity)
    {
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["service.name"] = identity.ServiceName,
            ["service.version"] = Version,
            ["service.instance.id"] = identity.InstanceId,
            ["host.name"] = Environment.MachineName,
        };
        foreach (var (key, value) in identity.Attributes)
        {
            attributes[key] = value;
        }
        return attributes;
    }
}

/// <summary>
/// A role's meter provider (with the Prometheus exporter), built once on first use outside the role's DI container,
/// and the request pipeline that answers a scrape from it.
/// </summary>
internal sealed class RoleMeterProvider(IServiceProvider services, string meterName, Func<IServiceProvider, RoleIdentity> identity,
    Func<IServiceProvider, object>? instruments) : IDisposable
{
    private readonly Lazy<(OpenTelemetrySdk Sdk, RequestDelegate Scrape)> _built = new(() =>
    {
        var resource = RoleMetrics.Attributes(identity(services));
        var sdk = OpenTelemetrySdk.Create(otel => otel
            .ConfigureResource(r => r.AddAttributes(resource))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(meterName).AddPrometheusExporter();
                if (instruments is not null)
                {
                    metrics.AddInstrumentation(() => instruments(services));
                }
            }));
        var branch = new ApplicationBuilder(services);
        branch.UseOpenTelemetryPrometheusScrapingEndpoint(sdk.MeterProvider, predicate: static _ => true, path: null, configureBranchedPipeline: null, optionsName: null);
        return (sdk, branch.Build());
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public Task ScrapeAsync(HttpContext context) => _built.Value.Scrape(context);

    private void Build() => _ = _built.Value;

    public void Dispose()
    {
        if (_built.IsValueCreated)
        {
            _built.Value.Sdk.Dispose();
        }
    }

    /// <summary>Builds the provider as the host starts (before it listens).</summary>
    internal sealed class BuildAtStart(RoleMeterProvider provider) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            provider.Build();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
