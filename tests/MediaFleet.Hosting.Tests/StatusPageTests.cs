using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MediaFleet.Hosting.Tests;

public sealed partial class StatusPageTests
{
    [Fact]
    public void Policy_AllowsExactlyThePagesOwnInlineScriptsAndStyle()
    {
        var page = new StatusPage("A <role>", "<p id=\"x\"></p>", "mf.poll('v1/x', 'the role', d => {});");

        var scripts = InlineScript().Matches(page.Html).Select(m => m.Groups[1].Value).ToList();
        var styles = InlineStyle().Matches(page.Html).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(2, scripts.Count);
        Assert.Single(styles);
        var policy = page.ContentSecurityPolicy;
        Assert.Contains($"script-src {Hash(scripts[0])} {Hash(scripts[1])};", policy, StringComparison.Ordinal);
        Assert.Contains($"style-src {Hash(styles[0])};", policy, StringComparison.Ordinal);
        Assert.StartsWith("default-src 'none';", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self';", policy, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_EncodesTheTitle_AndNamesNoOtherOrigin()
    {
        var page = new StatusPage("A <role>", "", "");

        Assert.Contains("<title>A &lt;role&gt;</title>", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("innerHTML", page.Html, StringComparison.Ordinal);
    }

    private static string Hash(string text) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)))}'";

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScript();

    [GeneratedRegex("<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex InlineStyle();
}
