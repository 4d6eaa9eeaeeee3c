using MediaFleet.Library.Catalog;
using MediaFleet.Library.Paths;
using MediaFleet.Library.Store;
using MediaFleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace MediaFleet.Library.Tests;

/// <summary>A library store on a temp folder, reopenable to play a restart.</summary>
internal sealed class StoreFixture : IAsyncDisposable
{
    private readonly TempFolder _folder = new("mfleet-store-");

    public StoreFixture(long reserveBytes = 0)
    {
        ReserveBytes = reserveBytes;
        Store = Open();
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 17, 0, 0, TimeSpan.Zero));

    public long ReserveBytes { get; }

    public LibraryStore Store { get; private set; }

    public string Folder => _folder.Path;

    public string TempFolder => Store.Root.TempFolder;

    public LibraryStore Open() => new(new LibraryRoot(_folder.Path), LibraryCatalog.OpenLoaded(new LibraryRoot(_folder.Path), Time), ReserveBytes, NullLogger<LibraryStore>.Instance);

    /// <summary>Closes the store and opens it again with start-up recovery, as a restart (of a primary, by default) does.</summary>
    public async Task RestartAsync(bool primary = true)
    {
        await Store.DisposeAsync();
        Store = Open();
        await Store.RecoverAsync(primary, CancellationToken.None);
    }

    public Task<WriteResult> PutAsync(string path, byte[] bytes, MediaFleet.Library.Digests.Sha256Digest? expected = null, long? length = null) =>
        Store.PutAsync(LibraryPath.Parse(path), new MemoryStream(bytes), expected, length ?? bytes.Length, WriteCondition.None, CancellationToken.None);

    public string Physical(string path) => Path.Combine(_folder.Path, path);

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _folder.Dispose();
    }
}
