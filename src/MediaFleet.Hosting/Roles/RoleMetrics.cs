using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
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
    /// <c>MapPrometheusScrapingEndpoint</c>) under the role's identity. The meter provider is built when the host
    /// starts: then the identity is asked for (a node names itself by the id its catalog holds) and
    /// <paramref name="instruments"/> is created, so every gauge is there from the first scrape, not from the first
    /// request that happens to need the class holding it.
    /// </summary>
    public static void Add(WebApplicationBuilder builder, string meterName, Func<IServiceProvider, RoleIdentity> identity,
        Func<IServiceProvider, object>? instruments = null)
    {
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddDetector(services => new IdentityDetector(identity(services))))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(meterName).AddPrometheusExporter();
                if (instruments is not null)
                {
                    metrics.AddInstrumentation(instruments);
                }
            });
    }

    /// <summary>
    /// Like <see cref="Add"/>, for a role whose start-up time counts (a node: a restarted follower's catch-up, issue 12):
    /// the meter provider, 50 ms of a core at start (its types built at run time by the native build), is built by the
    /// first scrape instead, which answers that much later. Its instruments must be observable: a counter's
    /// measurements are dropped while no provider listens. <see cref="MapBuiltOnFirstScrape"/> maps <c>/metrics</c>.
    /// </summary>
    public static void AddBuiltOnFirstScrape(WebApplicationBuilder builder, string meterName, Func<IServiceProvider, RoleIdentity> identity,
        Func<IServiceProvider, object> instruments)
    {
        builder.Services.AddSingleton(services => new LateMeterProvider(services, meterName, identity, instruments));
    }

    /// <summary>Maps <c>/metrics</c> of a role set up by <see cref="AddBuiltOnFirstScrape"/>.</summary>
    public static IEndpointConventionBuilder MapBuiltOnFirstScrape(WebApplication app) =>
        app.Map("/metrics", app.Services.GetRequiredService<LateMeterProvider>().ScrapeAsync);

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

    private sealed class IdentityDetector(RoleIdentity identity) : IResourceDetector
    {
        public Resource Detect() => new(Attributes(identity));
    }
}

/// <summary>
/// A meter provider (with the Prometheus exporter) built on first use, outside the role's DI container, and the
/// request pipeline that answers a scrape from it.
/// </summary>
internal sealed class LateMeterProvider(IServiceProvider services, string meterName, Func<IServiceProvider, RoleIdentity> identity,
    Func<IServiceProvider, object> instruments) : IDisposable
{
    private readonly Lazy<(OpenTelemetrySdk Sdk, RequestDelegate Scrape)> _built = new(() =>
    {
        var resource = RoleMetrics.Attributes(identity(services));
        var sdk = OpenTelemetrySdk.Create(otel => otel
            .ConfigureResource(r => r.AddAttributes(resource))
            .WithMetrics(metrics => metrics.AddMeter(meterName).AddPrometheusExporter().AddInstrumentation(() => instruments(services))));
        var branch = new ApplicationBuilder(services);
        branch.UseOpenTelemetryPrometheusScrapingEndpoint(sdk.MeterProvider, predicate: static _ => true, path: null, configureBranchedPipeline: null, optionsName: null);
        return (sdk, branch.Build());
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public Task ScrapeAsync(HttpContext context) => _built.Value.Scrape(context);

    public void Dispose()
    {
        if (_built.IsValueCreated)
        {
            _built.Value.Sdk.Dispose();
        }
    }
}
