using System.Text;
using MediaFleet.Contracts.Problems;
using MediaFleet.Testing;

namespace MediaFleet.Node.Tests;

/// <summary>
/// Request targets that try to leave the library, sent byte for byte over a socket (HttpClient would rewrite them).
/// Each aims at a sibling temp folder next to the library, so a wrong answer would show up as a file there.
/// </summary>
public sealed class TraversalTests
{
    /// <summary>
    /// Name, then the path after <c>/files/</c> with {sib} the sibling folder's name, {abs} its absolute path without
    /// the leading '/' and {name} the file name aimed at.
    /// </summary>
    public static TheoryData<string, string> Forms => new()
    {
        { "dot-dot", "../{sib}/{name}" },
        { "dot-dot alone", ".." },
        { "encoded dot-dot", "%2e%2e/{sib}/{name}" },
        { "mixed-case encoded dot-dot", "%2E%2e/{sib}/{name}" },
        { "dot-dot with encoded slashes", "..%2f{sib}%2f{name}" },
        { "all encoded", "%2e%2e%2f{sib}%2f{name}" },
        { "up twice from a folder", "a/%2e%2e/%2e%2e/{sib}/{name}" },
        { "trailing dot-dot", "{name}/.." },
        { "encoded backslash", "..%5c{sib}%5c{name}" },
        { "raw backslash", "..\\{sib}\\{name}" },
        { "control character", "{name}%01" },
        { "raw control character", "{name}\u0001" },
        { "DEL character", "{name}%7f" },
        { "encoded absolute", "%2f{abs}%2f{name}" },
        { "double slash absolute", "/{abs}/{name}" },
        { "state folder catalog", ".mfleet/catalog.db" },
        { "state folder temp", ".mfleet/tmp/{name}" },
        { "encoded state folder", "%2emfleet/tmp/{name}" },
        { "empty segment", "a//{name}" },
        { "dot segment", "./{name}" },
        { "encoded dot segment", "%2e/{name}" },
        { "overlong path", "{long}/{name}" },
        { "invalid UTF-8", "%ff{name}" },
        { "overlong UTF-8 dots", "%c0%ae%c0%ae/{sib}/{name}" },
        { "lone surrogate", "%ed%a0%80{name}" },
    };

    /// <summary>Targets that name a real file outside the library; only ever read, never written.</summary>
    public static TheoryData<string> SystemFiles => new()
    {
        "../../etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "%2e%2e/%2e%2e/etc/passwd",
        "a/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "%2fetc%2fpasswd",
        "//etc/passwd",
        "..%5c..%5cetc%5cpasswd",
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Put_TraversalForm_Is400InvalidPathAndWritesNothingAnywhere(string form, string template)
    {
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        var marker = Marker();
        var target = "/files/" + Fill(template, sibling, marker);

        var response = await RawHttp.SendAsync(node, "PUT", target, Encoding.UTF8.GetBytes(marker));

        Assert.True(response.Status == 400, $"{form}: {response.Status} {response.Text}");
        ProblemAssert.Is(response, 400, ProblemTypes.InvalidPath);
        Assert.Empty(sibling.Files());
        Assert.Empty(FileApi.LibraryFiles(node));
        FileApi.AssertTempEmpty(node);
        Assert.Equal(0, await FileApi.VersionAsync(node));
        Assert.Empty(FilesNamedUnderTemp(marker));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Get_TraversalForm_Is400InvalidPathAndLeaksNothing(string form, string template)
    {
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        var marker = Marker();
        var secret = "SECRET-" + marker;
        await File.WriteAllTextAsync(sibling.Combine(marker), secret);

        var response = await RawHttp.SendAsync(node, "GET", "/files/" + Fill(template, sibling, marker));

        Assert.True(response.Status == 400, $"{form}: {response.Status} {response.Text}");
        ProblemAssert.Is(response, 400, ProblemTypes.InvalidPath);
        Assert.DoesNotContain(secret, response.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("SQLite format", response.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SystemFiles))]
    public async Task Get_TargetOfASystemFile_Is400InvalidPath(string target)
    {
        await using var node = await TestNode.StartAsync();

        var response = await RawHttp.SendAsync(node, "GET", "/files/" + target);

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidPath);
        Assert.DoesNotContain("root:", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_EncodedNul_IsRefusedByKestrelWithAnInvalidRequestProblemAndWritesNothing()
    {
        // Kestrel rejects a percent-encoded NUL in the target before the node sees the request; its bare 400 is
        // rewritten into a problem document on the way out (KestrelProblems).
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        var marker = Marker();

        var response = await RawHttp.SendAsync(node, "PUT", $"/files/..%2f{Path.GetFileName(sibling.Path)}%2f{marker}%00.txt", Encoding.UTF8.GetBytes(marker));

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidRequest);
        Assert.Empty(sibling.Files());
        Assert.Empty(FileApi.LibraryFiles(node));
        Assert.Equal(0, await FileApi.VersionAsync(node));
        Assert.Empty(FilesNamedUnderTemp(marker));
    }

    [Fact]
    public async Task Get_EncodedNul_IsRefusedByKestrelWithAnInvalidRequestProblem()
    {
        await using var node = await TestNode.StartAsync();

        var response = await RawHttp.SendAsync(node, "GET", "/files/a%00.mkv");

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidRequest);
    }

    [Fact]
    public async Task Put_ThroughAFolderSymlinkLeadingOut_Is400AndWritesNothingOutside()
    {
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        Directory.CreateSymbolicLink(Path.Combine(node.Library, "outside"), sibling.Path);
        var marker = Marker();

        var response = await RawHttp.SendAsync(node, "PUT", "/files/outside/" + marker, Encoding.UTF8.GetBytes(marker));

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidPath);
        Assert.Empty(sibling.Files());
        FileApi.AssertTempEmpty(node);
        Assert.Equal(0, await FileApi.VersionAsync(node));
        Assert.Empty(FilesNamedUnderTemp(marker));
    }

    [Fact]
    public async Task Put_ThroughARelativeSymlinkLeadingOut_Is400AndWritesNothingOutside()
    {
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        Directory.CreateDirectory(Path.Combine(node.Library, "Movies"));
        Directory.CreateSymbolicLink(Path.Combine(node.Library, "Movies", "up"), "../../" + Path.GetFileName(sibling.Path));
        var marker = Marker();

        var response = await RawHttp.SendAsync(node, "PUT", "/files/Movies/up/" + marker, Encoding.UTF8.GetBytes(marker));

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidPath);
        Assert.Empty(sibling.Files());
        Assert.Empty(FilesNamedUnderTemp(marker));
    }

    [Fact]
    public async Task Put_ThroughAChainOfSymlinksLeadingOut_Is400()
    {
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        var hop = Path.Combine(node.Library, "hop");
        Directory.CreateSymbolicLink(hop, sibling.Path);
        Directory.CreateSymbolicLink(Path.Combine(node.Library, "start"), hop);
        var marker = Marker();

        var response = await RawHttp.SendAsync(node, "PUT", "/files/start/" + marker, Encoding.UTF8.GetBytes(marker));

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidPath);
        Assert.Empty(sibling.Files());
    }

    [Fact]
    public async Task Get_ThroughAFolderSymlinkLeadingOut_Is400AndLeaksNothing()
    {
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        await File.WriteAllTextAsync(sibling.Combine("secret.txt"), "SECRET");
        Directory.CreateSymbolicLink(Path.Combine(node.Library, "outside"), sibling.Path);

        var response = await RawHttp.SendAsync(node, "GET", "/files/outside/secret.txt");

        ProblemAssert.Is(response, 400, ProblemTypes.InvalidPath);
        Assert.DoesNotContain("SECRET", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileSymlinkLeadingOut_GetIs400AndPutLeavesTheTargetAlone()
    {
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        var secret = sibling.Combine("secret.mkv");
        await File.WriteAllTextAsync(secret, "SECRET");
        File.CreateSymbolicLink(Path.Combine(node.Library, "evil.mkv"), secret);

        var get = await RawHttp.SendAsync(node, "GET", "/files/evil.mkv");
        var put = await RawHttp.SendAsync(node, "PUT", "/files/evil.mkv", "OVERWRITTEN"u8.ToArray());

        ProblemAssert.Is(get, 400, ProblemTypes.InvalidPath);
        Assert.DoesNotContain("SECRET", get.Text, StringComparison.Ordinal);
        ProblemAssert.Is(put, 400, ProblemTypes.InvalidPath);
        Assert.Equal("SECRET", await File.ReadAllTextAsync(secret));
        Assert.NotNull(new FileInfo(Path.Combine(node.Library, "evil.mkv")).LinkTarget);
        Assert.Equal(0, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task SymlinkIntoTheStateFolder_GetAndPutAre400()
    {
        await using var node = await TestNode.StartAsync();
        Directory.CreateSymbolicLink(Path.Combine(node.Library, "state"), node.Store.Root.StateFolder);
        var catalogBefore = await File.ReadAllBytesAsync(node.Store.Root.CatalogFile);

        var get = await RawHttp.SendAsync(node, "GET", "/files/state/catalog.db");
        var put = await RawHttp.SendAsync(node, "PUT", "/files/state/catalog.db", "OVERWRITTEN"u8.ToArray());

        ProblemAssert.Is(get, 400, ProblemTypes.InvalidPath);
        ProblemAssert.Is(put, 400, ProblemTypes.InvalidPath);
        Assert.DoesNotContain("OVERWRITTEN", Encoding.Latin1.GetString(await File.ReadAllBytesAsync(node.Store.Root.CatalogFile)), StringComparison.Ordinal);
        Assert.True(catalogBefore.Length > 0);
        Assert.Equal(0, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task Move_ToAPathThroughASymlinkLeadingOut_Is400AndNothingLeaves()
    {
        await using var node = await TestNode.StartAsync();
        using var sibling = new TempFolder("mfleet-sibling-");
        await FileApi.PutOkAsync(node, "a.mkv", FileApi.Payload(100));
        Directory.CreateSymbolicLink(Path.Combine(node.Library, "outside"), sibling.Path);

        using var response = await node.Http.PostAsync("v1/moves", new StringContent("""{"from":"a.mkv","to":"outside/a.mkv"}""", Encoding.UTF8, "application/json"));

        await ProblemAssert.IsAsync(response, System.Net.HttpStatusCode.BadRequest, ProblemTypes.InvalidPath);
        Assert.Empty(sibling.Files());
        Assert.True(File.Exists(Path.Combine(node.Library, "a.mkv")));
        Assert.Equal(1, await FileApi.VersionAsync(node));
    }

    [Fact]
    public async Task SymlinkStayingInsideTheLibrary_IsNotATraversal()
    {
        // The control case: a link inside the library to a folder inside it is an ordinary folder for the rules.
        await using var node = await TestNode.StartAsync();
        Directory.CreateDirectory(Path.Combine(node.Library, "Real"));
        Directory.CreateSymbolicLink(Path.Combine(node.Library, "Alias"), Path.Combine(node.Library, "Real"));

        var response = await RawHttp.SendAsync(node, "GET", "/files/Alias/none.mkv");

        ProblemAssert.Is(response, 404, ProblemTypes.NotFound);
    }

    private static string Marker() => "mfleet-marker-" + Guid.NewGuid().ToString("N");

    private static string Fill(string template, TempFolder sibling, string marker) => template
        .Replace("{sib}", Path.GetFileName(sibling.Path), StringComparison.Ordinal)
        .Replace("{abs}", sibling.Path.TrimStart('/'), StringComparison.Ordinal)
        .Replace("{long}", string.Join('/', Enumerable.Repeat("a-long-folder-name", 60)), StringComparison.Ordinal)
        .Replace("{name}", marker, StringComparison.Ordinal);

    /// <summary>Every file or folder under the system temp folder whose name contains <paramref name="marker"/>.</summary>
    private static List<string> FilesNamedUnderTemp(string marker)
    {
        var found = new List<string>();
        var pending = new Stack<string>([Path.GetTempPath()]);
        while (pending.TryPop(out var folder))
        {
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(folder).EnumerateFileSystemInfos().ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Other processes' temp folders come and go; a folder that vanished cannot hold the marker.
                continue;
            }
            foreach (var entry in entries)
            {
                if (entry.Name.Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(entry.FullName);
                }
                if (entry is DirectoryInfo && entry.LinkTarget is null)
                {
                    pending.Push(entry.FullName);
                }
            }
        }
        return found;
    }
}
