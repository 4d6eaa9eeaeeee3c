using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

public sealed class LibraryCommandTests
{
    private static string[] On(TestNode node, params string[] args) => [.. args, "--node", node.Url, "--token", TestNode.Token];

    [Fact]
    public async Task Ingest_OneFile_StoresItUnderTheTargetPath()
    {
        await using var node = await TestNode.StartAsync();
        using var source = new TempFolder();
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        await File.WriteAllBytesAsync(source.Combine("clip.mkv"), bytes);

        var run = await CliRun.RunAsync(On(node, "ingest", source.Combine("clip.mkv"), "Movies/clip.mkv"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("added Movies/clip.mkv", run.Out, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(node.Library, "Movies/clip.mkv")));
        Assert.True(File.Exists(source.Combine("clip.mkv")));
    }

    [Fact]
    public async Task Ingest_Folder_StoresEveryFileRelativeToIt()
    {
        await using var node = await TestNode.StartAsync();
        using var source = new TempFolder();
        Directory.CreateDirectory(source.Combine("a", "b"));
        await File.WriteAllTextAsync(source.Combine("top.txt"), "1");
        await File.WriteAllTextAsync(source.Combine("a", "b", "deep.txt"), "2");

        var run = await CliRun.RunAsync(On(node, "ingest", source.Path, "inbox"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["inbox/a/b/deep.txt", "inbox/top.txt"], node.Store.Catalog.ListFiles().Select(f => f.Path));
    }

    [Fact]
    public async Task Ingest_Move_DeletesTheSourceOnlyAfterTheNodeConfirmed()
    {
        await using var node = await TestNode.StartAsync();
        using var source = new TempFolder();
        await File.WriteAllTextAsync(source.Combine("a.txt"), "hello");

        var run = await CliRun.RunAsync(On(node, "ingest", "--move", source.Combine("a.txt")));

        Assert.Equal(0, run.ExitCode);
        Assert.False(File.Exists(source.Combine("a.txt")));
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(node.Library, "a.txt")));
    }

    [Fact]
    public async Task Ingest_MoveRefusedByTheNode_KeepsTheSourceAndExits1()
    {
        await using var node = await TestNode.StartAsync(settings: new Dictionary<string, string?> { ["Node:ReserveBytes"] = long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var source = new TempFolder();
        await File.WriteAllTextAsync(source.Combine("a.txt"), "hello");

        var run = await CliRun.RunAsync(On(node, "ingest", "--move", source.Combine("a.txt")));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("insufficient-storage", run.SingleErrorLine(), StringComparison.Ordinal);
        Assert.True(File.Exists(source.Combine("a.txt")));
    }

    [Fact]
    public async Task Ingest_FromAFifo_ReadsTheSourceOnceAndStoresItsDigest()
    {
        // A FIFO can be read only once: an ingest that hashes the source first and then sends it cannot take one.
        await using var node = await TestNode.StartAsync();
        using var source = new TempFolder();
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        await File.WriteAllBytesAsync(source.Combine("clip.mkv"), bytes);
        var fifo = source.Combine("pipe");
        await RunToEndAsync("mkfifo", fifo);
        using var writer = Process.Start(new ProcessStartInfo("dd") { ArgumentList = { "if=" + source.Combine("clip.mkv"), "of=" + fifo, "bs=64k", "status=none" } })!;
        try
        {
            var run = await CliRun.RunAsync(On(node, "ingest", fifo, "Movies/clip.mkv"));

            Assert.True(run.ExitCode == 0, run.Error);
            await writer.WaitForExitAsync();
            Assert.Equal(0, writer.ExitCode);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), node.Store.Catalog.Find("Movies/clip.mkv")?.Sha256.Hex);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(node.Library, "Movies", "clip.mkv")));
        }
        finally
        {
            // A failed ingest never opens the FIFO, and the writer would wait for a reader for ever.
            writer.Kill();
            await writer.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Ingest_FolderWithAFifo_RefusesItAtOnceAndIngestsNothingElseAfter()
    {
        // A FIFO found in a folder is not waited on (nobody may ever write to it); only a FIFO named as SOURCE is read.
        await using var node = await TestNode.StartAsync();
        using var source = new TempFolder();
        await RunToEndAsync("mkfifo", source.Combine("a-pipe"));
        await File.WriteAllTextAsync(source.Combine("b.txt"), "b");

        var run = await CliRun.RunAsync(On(node, "ingest", source.Path, "in"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("a-pipe: not a regular file (a FIFO)", run.SingleErrorLine(), StringComparison.Ordinal);
        Assert.Empty(node.Store.Catalog.ListFiles());
    }

    private static async Task RunToEndAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task LsSha256sum_PrintsLinesThatSha256sumAccepts()
    {
        await using var node = await TestNode.StartAsync();
        using var source = new TempFolder();
        Directory.CreateDirectory(source.Combine("x y"));
        await File.WriteAllBytesAsync(source.Combine("x y", "one.bin"), RandomNumberGenerator.GetBytes(1000));
        await File.WriteAllBytesAsync(source.Combine("two.bin"), RandomNumberGenerator.GetBytes(2000));
        Assert.Equal(0, (await CliRun.RunAsync(On(node, "ingest", source.Path))).ExitCode);

        var run = await CliRun.RunAsync(On(node, "ls", "--sha256sum"));
        var sums = Path.Combine(node.Library, ".mfleet", "sums.txt");
        await File.WriteAllTextAsync(sums, run.Out);
        var check = Process.Start(new ProcessStartInfo("sha256sum", ["-c", sums]) { WorkingDirectory = node.Library, RedirectStandardOutput = true })!;
        var report = await check.StandardOutput.ReadToEndAsync();
        await check.WaitForExitAsync();

        Assert.Equal(0, check.ExitCode);
        Assert.Contains("x y/one.bin: OK", report, StringComparison.Ordinal);
        Assert.Contains("two.bin: OK", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LsJson_ListsFilesUnderThePrefix()
    {
        await using var node = await TestNode.StartAsync();
        using var source = new TempFolder();
        await File.WriteAllTextAsync(source.Combine("a.txt"), "a");
        await CliRun.RunAsync(On(node, "ingest", source.Combine("a.txt"), "keep/a.txt"));
        await CliRun.RunAsync(On(node, "ingest", source.Combine("a.txt"), "other/a.txt"));

        var run = await CliRun.RunAsync(On(node, "ls", "keep", "--json"));

        using var json = JsonDocument.Parse(run.Out);
        var file = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("keep/a.txt", file.GetProperty("path").GetString());
        Assert.Equal(1, file.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task MvRmAndLog_EachWriteIsOneVersionInTheLog()
    {
        await using var node = await TestNode.StartAsync();
        using var source = new TempFolder();
        await File.WriteAllTextAsync(source.Combine("a.txt"), "a");
        await CliRun.RunAsync(On(node, "ingest", source.Combine("a.txt")));

        Assert.Equal(0, (await CliRun.RunAsync(On(node, "mv", "a.txt", "b/a.txt"))).ExitCode);
        Assert.Equal(0, (await CliRun.RunAsync(On(node, "rm", "b/a.txt"))).ExitCode);
        var log = await CliRun.RunAsync(On(node, "log"));
        var json = await CliRun.RunAsync(On(node, "log", "--json", "--since", "1"));

        Assert.Equal(0, log.ExitCode);
        Assert.Matches(@"v1\s.*put\s+a\.txt", log.Lines[0]);
        Assert.Matches(@"v2\s.*move\s+a\.txt -> b/a\.txt", log.Lines[1]);
        Assert.Matches(@"v3\s.*delete\s+b/a\.txt", log.Lines[2]);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(3, document.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(["move", "delete"], document.RootElement.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("op").GetString()));
    }

    [Fact]
    public async Task Rm_UnknownPath_Exits1WithOneLine()
    {
        await using var node = await TestNode.StartAsync();

        var run = await CliRun.RunAsync(On(node, "rm", "nope.mkv"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("not-found", run.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adopt_SidecarMismatch_AdoptsTheRestAndExits3()
    {
        await using var node = await TestNode.StartAsync();
        var good = RandomNumberGenerator.GetBytes(1000);
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "good.mkv"), good);
        await File.WriteAllTextAsync(Path.Combine(node.Library, ".good.mkv.sha1"), Convert.ToHexStringLower(SHA1.HashData(good)));
        await File.WriteAllBytesAsync(Path.Combine(node.Library, "bad.mkv"), [1, 2, 3]);
        await File.WriteAllTextAsync(Path.Combine(node.Library, ".bad.mkv.sha1"), Convert.ToHexStringLower(SHA1.HashData(good)));

        var run = await CliRun.RunAsync(On(node, "adopt"));

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("adopted good.mkv", run.Out, StringComparison.Ordinal);
        Assert.Contains("bad.mkv: not adopted", run.SingleErrorLine(), StringComparison.Ordinal);
        Assert.Equal(["good.mkv"], node.Store.Catalog.ListFiles().Select(f => f.Path));
    }

    [Fact]
    public async Task WrongToken_Exits1WithForbidden()
    {
        await using var node = await TestNode.StartAsync();

        var run = await CliRun.RunAsync("rm", "a", "--node", node.Url, "--token", "wrong");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("403 forbidden", run.SingleErrorLine(), StringComparison.Ordinal);
    }
}

public sealed class ClusterCommandTests
{
    private static string[] On(TestNode node, params string[] args) => [.. args, "--node", node.Url, "--token", TestNode.Token];

    [Fact]
    public async Task Status_OnAFollowerShortOfDisk_ShowsVersionLagAndMissing()
    {
        await using var primary = await TestNode.StartAsync();
        await using (var stream = new MemoryStream([1, 2, 3]))
        {
            await primary.Client.PutFileAsync("a.bin", stream, 3, null, CancellationToken.None);
        }
        await using var follower = await TestNode.StartFollowerAsync(primary.Url, settings: new Dictionary<string, string?> { ["Node:ReserveBytes"] = long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        // Settled: provisioning has finished (seen 1) and left a.bin missing.
        while ((await follower.Client.GetStatusAsync(CancellationToken.None)) is not { Missing: 1, SeenVersion: 1 })
        {
            await Task.Delay(20);
        }

        var run = await CliRun.RunAsync(On(follower, "status"));
        var json = await CliRun.RunAsync(On(follower, "status", "--json"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"follower of {primary.Url}", run.Out, StringComparison.Ordinal);
        Assert.Contains("version 0, seen 1, lag 1", run.Out, StringComparison.Ordinal);
        Assert.Contains("v1 a.bin: disk below ReserveBytes", run.Out, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(1, document.RootElement.GetProperty("missing").GetInt32());
        Assert.Equal(1, document.RootElement.GetProperty("seen_version").GetInt64());
    }

    [Fact]
    public async Task LogCompact_DropsOldEntriesAndReportsThePoint()
    {
        await using var node = await TestNode.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await using var stream = new MemoryStream([(byte)i]);
            await node.Client.PutFileAsync($"f{i}", stream, 1, null, CancellationToken.None);
        }

        var run = await CliRun.RunAsync(On(node, "log", "compact", "--keep", "2"));
        var log = await CliRun.RunAsync(On(node, "log", "--since", "3"));
        var tooOld = await CliRun.RunAsync(On(node, "log", "--since", "1"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("compacted through version 3", run.Out, StringComparison.Ordinal);
        Assert.Equal(3, log.Lines.Count);
        Assert.Equal(1, tooOld.ExitCode);
        Assert.Contains("changes-compacted", tooOld.SingleErrorLine(), StringComparison.Ordinal);
    }
}

public sealed class FlagCommandTests
{
    [Theory]
    [InlineData("drain", false, true)]
    [InlineData("down", true, false)]
    public async Task FlagCommand_SetsTheBitAndItsOppositeClearsIt(string command, bool down, bool backup)
    {
        await using var node = await TestNode.StartAsync();
        var opposite = command == "drain" ? "undrain" : "up";

        var set = await CliRun.RunAsync(command, "--node", node.Url, "--token", TestNode.Token);
        var status = await node.Client.GetStatusAsync(CancellationToken.None);
        var clear = await CliRun.RunAsync(opposite, "--node", node.Url, "--token", TestNode.Token);

        Assert.Equal(0, set.ExitCode);
        Assert.Equal((down, backup), (status.ForceDown, status.ForceBackup));
        Assert.Equal(0, clear.ExitCode);
        Assert.Contains("force_down=false force_backup=false", clear.Out, StringComparison.Ordinal);
    }
}
