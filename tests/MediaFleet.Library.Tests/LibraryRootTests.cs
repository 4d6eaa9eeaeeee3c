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
