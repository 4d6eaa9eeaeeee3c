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

    [Fact]
    public async Task Verify_UnreadableCopies_AreReportedBad_TheFilesAfterThemAreStillChecked_AndItExits3()
    {
        await using var node = await TestNode.StartAsync();
        foreach (var (path, size) in ((string, int)[])[("a/eio.bin", 0), ("b/denied.bin", 4096), ("c/fifo.bin", 0), ("d/folder.bin", 0), ("e/good.bin", 100)])
        {
            await using var body = new MemoryStream(new byte[size]);
            await node.Client.PutFileAsync(path, body, body.Length, null, CancellationToken.None);
        }
        await using var eio = await BrokenCopy.InputOutputErrorAsync(Path.Combine(node.Library, "a", "eio.bin"));
        await using var denied = await BrokenCopy.PermissionDeniedAsync(Path.Combine(node.Library, "b", "denied.bin"));
        await using var fifo = BrokenCopy.Fifo(Path.Combine(node.Library, "c", "fifo.bin"));
        await using var folder = BrokenCopy.Folder(Path.Combine(node.Library, "d", "folder.bin"));

        var run = await CliRun.RunAsync("verify", "--node", node.Url, "--token", TestNode.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.CheckFailed, run.ExitCode);
        Assert.Equal(
            [
                "mfleet: a/eio.bin: BAD: unreadable: Input/output error",
                "mfleet: b/denied.bin: BAD: unreadable: Permission denied",
                "mfleet: c/fifo.bin: BAD: not a regular file (a FIFO)",
                "mfleet: d/folder.bin: BAD: not a regular file (a directory)",
            ],
            run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("verify: 5 copies checked, 4 BAD (quarantined; being healed)", run.Out.Trim());
        Assert.NotNull(node.Store.Catalog.Find("e/good.bin")!.VerifiedAt);
    }
}
