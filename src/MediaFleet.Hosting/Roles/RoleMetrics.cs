using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
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
