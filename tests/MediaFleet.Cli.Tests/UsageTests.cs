using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

public sealed class UsageTests
{
    [Theory]
    [InlineData("ingest")]
    [InlineData("ls", "--no-such-flag")]
    [InlineData("no-such-command")]
    [InlineData("log", "--since", "abc")]
    [InlineData("mv", "only-one")]
    [InlineData("doctor", "--role", "nginx")]
    public async Task BadUsage_Exits2WithOnePlainLine(params string[] args)
    {
        var run = await CliRun.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--help", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ListsTheCommandsAndExits0()
    {
        var run = await CliRun.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "node", "ingest", "rm", "mv", "ls", "log", "adopt", "doctor", "demo" })
        {
            Assert.Contains(command, run.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UnreachableNode_Exits1WithOneLine()
    {
        // Port 1 on loopback: nothing listens there.
        var run = await CliRun.RunAsync("ls", "--node", "http://127.0.0.1:1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("cannot reach http://127.0.0.1:1", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeUrlThatIsNotHttp_Exits2()
    {
        var run = await CliRun.RunAsync("ls", "--node", "ftp://x");

        Assert.Equal(2, run.ExitCode);
        run.SingleErrorLine();
    }
}
