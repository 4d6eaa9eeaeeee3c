using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

public sealed class VerifyCommandTests
{
    [Fact]
    public async Task Verify_AllGood_Exits0_AndABadCopyExits3NamingIt()
    {
        await using var node = await TestNode.StartAsync();
        await using (var body = new MemoryStream(new byte[4096]))
        {
            await node.Client.PutFileAsync("a/one.bin", body, body.Length, null, CancellationToken.None);
        }
        await using (var body = new MemoryStream(new byte[8192]))
        {
            await node.Client.PutFileAsync("b/two.bin", body, body.Length, null, CancellationToken.None);
        }
        string[] auth = ["--node", node.Url, "--token", TestNode.Token];

        var good = await CliRun.RunAsync(["verify", .. auth]);
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "b", "two.bin"), Enumerable.Repeat((byte)1, 8192).ToArray());
        var onlyA = await CliRun.RunAsync(["verify", "a", .. auth]);
        var bad = await CliRun.RunAsync(["verify", .. auth]);

        Assert.Equal((0, "verify: 2 copies checked, all good"), (good.ExitCode, good.Out.Trim()));
        Assert.Equal((0, "verify: 1 copies checked, all good"), (onlyA.ExitCode, onlyA.Out.Trim()));
        Assert.Equal(ExitCodes.CheckFailed, bad.ExitCode);
        Assert.Contains("b/two.bin: BAD: its bytes hash to", bad.SingleErrorLine(), StringComparison.Ordinal);
        Assert.Contains("1 BAD", bad.Out, StringComparison.Ordinal);
    }
}
