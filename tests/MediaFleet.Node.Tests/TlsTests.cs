using MediaFleet.Contracts.Problems;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MediaFleet.Contracts.Client;
using MediaFleet.Hosting;
using MediaFleet.Contracts.Tls;
using MediaFleet.Testing;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Node.Tests;

/// <summary>A node on https (DESIGN.md section 4): its certificate re-read from disk, its token kept off plain http.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task CertificateReplacedOnDisk_IsServedOnTheNextConnection_WithoutRestart()
    {
        using var certificates = await TestCertificates.CreateAsync();
        var settings = certificates.Settings();
        settings["Node:Listen"] = "https://127.0.0.1:0";
        await using var node = await TestNode.StartAsync(settings: settings);
        var before = await PresentedSerialAsync(node.Url);

        var renewed = await certificates.RenewAsync();
        var after = await PresentedSerialAsync(node.Url);

        Assert.NotEqual(before, after);
        Assert.Equal(renewed.TrimStart('0'), after);
        using var http = new ClusterHttp(TestNode.Token, ClientTls.From(new TlsOptions { CaFile = certificates.CaFile })).Create(new Uri(node.Url));
        Assert.Equal(0, (await new NodeClient(http).GetStatusAsync(CancellationToken.None)).Version);

        // A renewal caught half-written does not break serving: the last good certificate stays.
        await File.WriteAllTextAsync(certificates.Certificate, "-----BEGIN CERTIFICATE-----\nnot yet\n");
        Assert.Equal(after, await PresentedSerialAsync(node.Url));
    }

    [Theory]
    [InlineData("Node:Upstream")]
    [InlineData("Node:Coordinator")]
    public async Task PlainHttpToAPublicAddress_RefusesToStart_BeforeSendingAnything(string key)
    {
        using var folder = new TempFolder("mfleet-tls-");
        var settings = NodeSettings(folder, key, "http://203.0.113.5:8470");

        // Refused while building, before any hosted service (follower, heartbeats) could run.
        var refused = await Assert.ThrowsAsync<InvalidSettingsException>(() => NodeApp.BuildAsync(Configuration(settings)));

        Assert.Contains("refusing to send the cluster token over plain http to http://203.0.113.5:8470", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--insecure-http", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpToAPublicAddress_IsAllowed_WithInsecureHttp()
    {
        using var folder = new TempFolder("mfleet-tls-");
        var settings = NodeSettings(folder, "Node:Upstream", "http://203.0.113.5:8470");
        settings["Tls:AllowInsecureHttp"] = "true";

        // Built, never started: nothing may go to that address from a test.
        await using var app = await NodeApp.BuildAsync(Configuration(settings));
    }

    [Fact]
    public async Task HttpsListenUrl_WithoutCertificate_RefusesToStart()
    {
        using var folder = new TempFolder("mfleet-tls-");
        var settings = NodeSettings(folder, "Node:Listen", "https://127.0.0.1:0");
        settings["Node:Primary"] = "true";
        settings.Remove("Node:Upstream");

        var refused = await Assert.ThrowsAsync<InvalidSettingsException>(() => NodeApp.BuildAsync(Configuration(settings)));

        Assert.Contains("--tls-cert", refused.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> NodeSettings(TempFolder folder, string key, string value) => new()
    {
        ["Node:Data"] = folder.Combine("lib"),
        ["Node:Upstream"] = "http://127.0.0.1:9",
        ["Node:Listen"] = "http://127.0.0.1:0",
        ["Auth:Token"] = TestNode.Token,
        [key] = value,
    };

    private static IConfiguration Configuration(Dictionary<string, string?> settings) => new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    /// <summary>The serial number (hex, no leading zeros) of the certificate a new TLS connection is given.</summary>
    private static async Task<string> PresentedSerialAsync(string url)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", new Uri(url).Port);
        X509Certificate? presented = null;
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                presented = certificate;
                return true;
            },
        });
        return ((X509Certificate2)presented!).SerialNumber.TrimStart('0');
    }
}
