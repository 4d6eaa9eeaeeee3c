using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

/// <summary>`mfleet node` validates its settings before it starts: a bad value is one line and exit 2.</summary>
public sealed class NodeCommandTests
{
    [Fact]
    public async Task Node_WithoutData_Exits2()
    {
        var run = await CliRun.RunAsync("node", "--primary", "--token", "t");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--data", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_WithoutRole_Exits2()
    {
        using var data = new TempFolder();
        var run = await CliRun.RunAsync("node", "--data", data.Path, "--token", "t");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--primary or --upstream", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_WithoutToken_RefusesToStart()
    {
        using var data = new TempFolder();
        var run = await CliRun.RunAsync("node", "--data", data.Path, "--primary");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--insecure-no-auth", run.SingleErrorLine(), StringComparison.Ordinal);
        Assert.False(File.Exists(data.Combine(".mfleet", "catalog.db")));
    }

    [Fact]
    public async Task Node_BadListenUrl_Exits2()
    {
        using var data = new TempFolder();
        var run = await CliRun.RunAsync("node", "--data", data.Path, "--primary", "--token", "t", "--listen", "127.0.0.1:80");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--listen", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_ConfigFileWithAWrongType_Exits2()
    {
        using var data = new TempFolder();
        var config = data.Combine("settings.json");
        await File.WriteAllTextAsync(config, """{"Node": {"Data": "x", "Primary": true, "ReserveBytes": "lots"}, "Auth": {"Token": "t"}}""");

        var run = await CliRun.RunAsync("node", "--config", config);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("bad configuration", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_ConfigFileThatIsNotJson_Exits2()
    {
        using var data = new TempFolder();
        var config = data.Combine("settings.json");
        await File.WriteAllTextAsync(config, "{ not json");

        var run = await CliRun.RunAsync("node", "--config", config);

        Assert.Equal(2, run.ExitCode);
        run.SingleErrorLine();
    }

    [Fact]
    public async Task Node_ConfigFileMissing_Exits2()
    {
        var run = await CliRun.RunAsync("node", "--config", "/nonexistent/mfleet.json");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no such file", run.SingleErrorLine(), StringComparison.Ordinal);
    }
}
