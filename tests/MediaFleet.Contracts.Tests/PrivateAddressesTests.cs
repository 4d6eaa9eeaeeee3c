using System.Net;
using MediaFleet.Contracts.Tls;

namespace MediaFleet.Contracts.Tests;

/// <summary>Where the token may travel over plain http (DESIGN.md section 4): loopback and the private ranges only.</summary>
public sealed class PrivateAddressesTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("10.255.255.255", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.254", true)]
    [InlineData("172.15.0.1", false)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("192.169.1.1", false)]
    [InlineData("169.254.10.1", true)]
    [InlineData("203.0.113.5", false)]
    [InlineData("8.8.8.8", false)]
    [InlineData("::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("fd12:3456::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("2001:db8::1", false)]
    [InlineData("::ffff:10.1.2.3", true)]
    [InlineData("::ffff:203.0.113.5", false)]
    public void IsPrivate_MatchesTheRanges(string address, bool expected) =>
        Assert.Equal(expected, PrivateAddresses.IsPrivate(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://203.0.113.5:8470", false, false)]
    [InlineData("http://[2001:db8::1]:8470", false, false)]
    [InlineData("http://203.0.113.5:8470", true, true)]
    [InlineData("https://203.0.113.5:8470", false, true)]
    [InlineData("http://10.1.2.3:8470", false, true)]
    [InlineData("http://[fd00::5]:8470", false, true)]
    [InlineData("http://localhost:8470", false, true)]
    [InlineData("http://127.0.0.1:8470", false, true)]
    public async Task RefusalAsync_RefusesPlainHttpToPublicAddressesOnly(string url, bool allowInsecureHttp, bool allowed)
    {
        var refusal = await PrivateAddresses.RefusalAsync(new Uri(url), allowInsecureHttp, CancellationToken.None);

        Assert.Equal(allowed, refusal is null);
        if (refusal is not null)
        {
            Assert.Contains("--insecure-http", refusal, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', refusal);
        }
    }
}
