using MediaFleet.Coordinator.Configuration;
using MediaFleet.Testing;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Coordinator.Tests.Configuration;

/// <summary>The coordinator's settings as bound from configuration, and their validation: one line per problem.</summary>
public sealed class CoordinatorOptionsTests
{
    /// <summary>Options bound from <c>Coordinator:</c> keys; a later value for the same key wins.</summary>
    private static CoordinatorOptions Bind(params (string Key, string? Value)[] settings)
    {
        var values = new Dictionary<string, string?>();
        foreach (var (key, value) in settings)
        {
            values["Coordinator:" + key] = value;
        }
        return CoordinatorOptions.From(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    [Fact]
    public void Validate_Defaults_AreValid()
    {
        var options = new CoordinatorOptions();

        Assert.Empty(options.Validate());
        Assert.Equal(TimeSpan.FromSeconds(6), options.SilenceLimit);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Debounce);
        Assert.Equal((3, 0.7, 1.5), (options.RecoverAfter, options.BackupThreshold, options.DownThreshold));
    }

    [Fact]
    public void From_Configuration_BindsEverySetting()
    {
        var options = Bind(("Listen", "http://0.0.0.0:9000"), ("Proxy", "http://[::]:9001"), ("Broker", "https://broker.example:8490"), ("HeartbeatInterval", "0.5"),
            ("DownAfter", "4"), ("RecoverAfter", "5"), ("ReloadDebounce", "0"), ("BackupThreshold", "1.2"), ("DownThreshold", "3"));

        Assert.Empty(options.Validate());
        Assert.Equal(("http://0.0.0.0:9000", "http://[::]:9001", "https://broker.example:8490"), (options.Listen, options.Proxy, options.Broker));
        Assert.Equal((TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4), 5, TimeSpan.Zero), (options.Interval, options.SilenceLimit, options.RecoverAfter, options.Debounce));
        Assert.Equal((1.2, 3.0), (options.BackupThreshold, options.DownThreshold));
    }

    [Theory]
    [InlineData("udp://0.0.0.0:8001")]
    [InlineData("udp://[::1]:8001")]
    [InlineData("udp://localhost:8001")]
    [InlineData("udp://*:8001")]
    public void Validate_SeedHeartbeatsOnAnAddressAndPort_IsValid(string url) =>
        Assert.Empty(Bind(("SeedHeartbeats", url)).Validate());

    [Theory]
    [InlineData("Listen", "localhost:8460", "Coordinator:Listen")]
    [InlineData("Listen", "ftp://127.0.0.1:8460", "Coordinator:Listen")]
    [InlineData("Listen", "http://mediafleet.local:8460", "Coordinator:Listen")]
    [InlineData("Listen", "http://127.0.0.1:8460/api", "Coordinator:Listen")]
    [InlineData("Listen", "", "Coordinator:Listen")]
    [InlineData("Proxy", "127.0.0.1:8480", "Coordinator:Proxy")]
    [InlineData("Proxy", "http://balancer.local:8480", "Coordinator:Proxy")]
    [InlineData("Proxy", "http://127.0.0.1:8460", "Coordinator:Proxy (--proxy) must listen on another port")]
    [InlineData("Proxy", "http://127.0.0.1:8460/", "Coordinator:Proxy (--proxy) must listen on another port")]
    [InlineData("Proxy", "http://0.0.0.0:8460", "Coordinator:Proxy (--proxy) must listen on another port")]
    [InlineData("Broker", "127.0.0.1:8490", "Coordinator:Broker (--broker) '127.0.0.1:8490' is not an http(s) URL")]
    [InlineData("Broker", "ftp://127.0.0.1:8490", "Coordinator:Broker (--broker)")]
    [InlineData("Broker", "", "Coordinator:Broker (--broker)")]
    [InlineData("SeedHeartbeats", "127.0.0.1:8001", "Coordinator:SeedHeartbeats")]
    [InlineData("SeedHeartbeats", "udp://127.0.0.1", "Coordinator:SeedHeartbeats")]
    [InlineData("SeedHeartbeats", "http://127.0.0.1:8001", "Coordinator:SeedHeartbeats")]
    [InlineData("SeedHeartbeats", "udp://lb.local:8001", "Coordinator:SeedHeartbeats")]
    [InlineData("SeedHeartbeats", "udp://127.0.0.1:8001/x", "Coordinator:SeedHeartbeats")]
    [InlineData("HeartbeatInterval", "0", "Coordinator:HeartbeatInterval")]
    [InlineData("HeartbeatInterval", "-2", "Coordinator:HeartbeatInterval")]
    [InlineData("HeartbeatInterval", "3601", "Coordinator:HeartbeatInterval")]
    [InlineData("HeartbeatInterval", "NaN", "Coordinator:HeartbeatInterval")]
    [InlineData("DownAfter", "0", "Coordinator:DownAfter")]
    [InlineData("DownAfter", "86401", "Coordinator:DownAfter")]
    [InlineData("RecoverAfter", "0", "Coordinator:RecoverAfter")]
    [InlineData("RecoverAfter", "1001", "Coordinator:RecoverAfter")]
    [InlineData("ReloadDebounce", "-0.1", "Coordinator:ReloadDebounce")]
    [InlineData("ReloadDebounce", "NaN", "Coordinator:ReloadDebounce")]
    [InlineData("BackupThreshold", "-0.1", "Coordinator:BackupThreshold")]
    [InlineData("DownThreshold", "NaN", "Coordinator:BackupThreshold and Coordinator:DownThreshold")]
    public void Validate_OneBadSetting_IsOneLineNamingIt(string key, string value, string line)
    {
        var options = Bind(("Listen", "http://127.0.0.1:8460"), (key, value));

        var errors = options.Validate();

        var error = Assert.Single(errors);
        Assert.StartsWith(line, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void Validate_ProxyAndListenBothTheSameNonUrl_AreTwoLinesNotAnException()
    {
        var options = Bind(("Listen", "not a url"), ("Proxy", "not a url"));

        var errors = options.Validate();

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("Coordinator:Listen", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("Coordinator:Proxy", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ProxyAndListenBothOnPortZero_AreValid()
    {
        // Port 0 lets the system choose two different free ports (as the tests start it).
        var options = Bind(("Listen", "http://127.0.0.1:0"), ("Proxy", "http://127.0.0.1:0"));

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Validate_MissingNginxFile_IsOneLineNamingIt()
    {
        using var folder = new TempFolder();
        var missing = folder.Combine("upstream.conf");

        var errors = Bind(("NginxConf", missing)).Validate();

        Assert.Equal($"Coordinator:NginxConf (--nginx-conf) '{missing}': no such file", Assert.Single(errors));
    }

    [Theory]
    [InlineData("NginxTest", "sh -c 'nginx -t")]
    [InlineData("NginxReload", "nginx -s \"reload")]
    [InlineData("NginxReload", "  ")]
    public void Validate_NginxCommandWithUnclosedQuoteOrNoWords_IsOneLine(string key, string command)
    {
        using var folder = new TempFolder();
        var file = folder.Combine("upstream.conf");
        File.WriteAllText(file, "server 127.0.0.1:8470;\n");

        var errors = Bind(("NginxConf", file), (key, command)).Validate();

        Assert.StartsWith("Coordinator:NginxTest and Coordinator:NginxReload", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NginxCommandsWithoutANginxFile_AreNotChecked()
    {
        var errors = Bind(("NginxTest", "sh -c 'unclosed")).Validate();

        Assert.Empty(errors);
    }

    [Fact]
    public void Validate_SeveralBadSettings_IsOneLineEach()
    {
        var errors = Bind(("Listen", "http://example.com:1"), ("HeartbeatInterval", "0"), ("RecoverAfter", "0"), ("ReloadDebounce", "-1")).Validate();

        Assert.Equal(4, errors.Count);
    }
}
