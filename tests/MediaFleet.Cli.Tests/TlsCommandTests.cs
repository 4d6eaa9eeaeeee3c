using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

/// <summary>The command line's TLS and token flags (DESIGN.md section 4): token files, CA files, no token over public plain http.</summary>
public sealed class TlsCommandTests
{
    [Fact]
    public async Task Node_UpstreamOnPlainHttpToAPublicAddress_RefusesToStart_Exit2()
    {
        using var folder = new TempFolder();
        var tokenFile = folder.Combine("token");
        await File.WriteAllTextAsync(tokenFile, "t\n");

        var run = await CliRun.RunAsync("node", "--data", folder.Combine("lib"), "--upstream", "http://203.0.113.5:8470", "--token-file", tokenFile);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("refusing to send the cluster token over plain http to http://203.0.113.5:8470", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientCommand_OnPlainHttpToAPublicAddress_IsRefusedBeforeSending_Exit2()
    {
        var run = await CliRun.RunAsync("rm", "a.mkv", "--node", "http://203.0.113.5:8470", "--token", "t");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("refusing to send the cluster token over plain http", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientCommand_TokenFile_IsTheToken()
    {
        await using var node = await TestNode.StartAsync();
        await FilePut(node);
        using var folder = new TempFolder();
        var tokenFile = folder.Combine("token");
        await File.WriteAllTextAsync(tokenFile, TestNode.Token + "\n");

        var run = await CliRun.RunAsync("rm", "a.mkv", "--node", node.Url, "--token-file", tokenFile);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(2, (await node.Client.GetStatusAsync(CancellationToken.None)).Version);
    }

    [Fact]
    public async Task ClientCommand_TokenAndTokenFile_Exit2()
    {
        using var folder = new TempFolder();
        var tokenFile = folder.Combine("token");
        await File.WriteAllTextAsync(tokenFile, "t");

        var run = await CliRun.RunAsync("rm", "a.mkv", "--node", "http://127.0.0.1:9", "--token", "t", "--token-file", tokenFile);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--token-file", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_CertificateWithoutKey_Exit2()
    {
        using var folder = new TempFolder();
        var certificate = folder.Combine("cert.pem");
        await File.WriteAllTextAsync(certificate, "");

        var run = await CliRun.RunAsync("node", "--data", folder.Combine("lib"), "--primary", "--token", "t", "--listen", "https://127.0.0.1:0", "--tls-cert", certificate);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--tls-key", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_OverHttps_TrustsTheCaFileAndRefusesAnotherInOneLine()
    {
        using var certificates = await TestCertificates.CreateAsync();
        var settings = certificates.Settings();
        settings["Node:Listen"] = "https://127.0.0.1:0";
        await using var node = await TestNode.StartAsync(settings: settings);
        using var folder = new TempFolder();
        await File.WriteAllBytesAsync(folder.Combine("a.mkv"), new byte[100_000]);

        var trusted = await CliRun.RunAsync("ingest", folder.Combine("a.mkv"), "--node", node.Url, "--token", TestNode.Token, "--ca-file", certificates.CaFile);
        var refused = await CliRun.RunAsync("ingest", folder.Combine("a.mkv"), "b.mkv", "--node", node.Url, "--token", TestNode.Token, "--ca-file", certificates.OtherCaFile);

        Assert.True(trusted.ExitCode == 0, trusted.Error);
        Assert.Contains("added a.mkv", trusted.Out, StringComparison.Ordinal);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("TLS:", refused.SingleErrorLine(), StringComparison.Ordinal);
        Assert.Equal(["a.mkv"], node.Store.Catalog.ListFiles().Select(f => f.Path));
    }

    private static async Task FilePut(TestNode node)
    {
        await using var body = new MemoryStream(new byte[10]);
        await node.Client.PutFileAsync("a.mkv", body, body.Length, null, CancellationToken.None);
    }
}
