using MediaFleet.Library.Paths;
using MediaFleet.Testing;

namespace MediaFleet.Library.Tests;

public sealed class LibraryRootTests
{
    [Fact]
    public void StaysInside_SymlinkedFolderPointingOutside_IsFalse()
    {
        using var library = new TempFolder();
        using var outside = new TempFolder();
        Directory.CreateSymbolicLink(library.Combine("escape"), outside.Path);
        var root = new LibraryRoot(library.Path);

        Assert.False(root.StaysInside(LibraryPath.Parse("escape/file.mkv")));
        Assert.False(root.StaysInside(LibraryPath.Parse("escape")));
    }

    [Fact]
    public void StaysInside_SymlinkToFileOutside_IsFalse()
    {
        using var library = new TempFolder();
        using var outside = new TempFolder();
        File.WriteAllText(outside.Combine("secret"), "x");
        File.CreateSymbolicLink(library.Combine("link.mkv"), outside.Combine("secret"));

        Assert.False(new LibraryRoot(library.Path).StaysInside(LibraryPath.Parse("link.mkv")));
    }

    [Fact]
    public void StaysInside_DanglingSymlinkPointingOutside_IsFalse()
    {
        using var library = new TempFolder();
        using var outside = new TempFolder();
        File.CreateSymbolicLink(library.Combine("later.mkv"), outside.Combine("not-yet"));
        Directory.CreateDirectory(library.Combine("deep/er"));
        Directory.CreateSymbolicLink(library.Combine("deep/er/gone"), outside.Combine("gone"));
        var root = new LibraryRoot(library.Path);

        Assert.False(root.StaysInside(LibraryPath.Parse("later.mkv")));
        Assert.False(root.StaysInside(LibraryPath.Parse("deep/er/gone/x.mkv")));
    }

    [Fact]
    public void StaysInside_PlainFilesAndFoldersAllTheWay_AndAFileWhereAFolderWouldBe_AreTrue()
    {
        using var library = new TempFolder();
        Directory.CreateDirectory(library.Combine("Music/Artist/Album"));
        File.WriteAllText(library.Combine("Music/Artist/Album/01.flac"), "x");
        var root = new LibraryRoot(library.Path);

        Assert.True(root.StaysInside(LibraryPath.Parse("Music/Artist/Album/01.flac")));
        // Nothing can be below a file: the write that tries fails on its own, nothing escapes.
        Assert.True(root.StaysInside(LibraryPath.Parse("Music/Artist/Album/01.flac/x")));
    }

    [Fact]
    public void StaysInside_SymlinkWithinLibrary_IsTrue()
    {
        using var library = new TempFolder();
        Directory.CreateDirectory(library.Combine("real"));
        Directory.CreateSymbolicLink(library.Combine("alias"), library.Combine("real"));

        Assert.True(new LibraryRoot(library.Path).StaysInside(LibraryPath.Parse("alias/file.mkv")));
    }

    [Fact]
    public void StaysInside_SymlinkIntoStateFolder_IsFalse()
    {
        using var library = new TempFolder();
        Directory.CreateDirectory(library.Combine(".mfleet"));
        Directory.CreateSymbolicLink(library.Combine("state"), library.Combine(".mfleet"));

        Assert.False(new LibraryRoot(library.Path).StaysInside(LibraryPath.Parse("state/catalog.db")));
    }

    [Fact]
    public void StaysInside_PathNotYetCreated_IsTrue()
    {
        using var library = new TempFolder();
        Assert.True(new LibraryRoot(library.Path).StaysInside(LibraryPath.Parse("new/folder/file.mkv")));
    }
}
