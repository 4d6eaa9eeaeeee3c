using System.Net;
using System.Security.Cryptography;
using MediaFleet.Testing;
using Microsoft.Data.Sqlite;

namespace MediaFleet.Cluster.Tests;

/// <summary>A follower's start-up recovery of a write a kill -9 cut between rename and catalog commit.</summary>
public sealed class FollowerRecoveryTests
{
    [Fact]
    public async Task NewFollowerKilledWhileProvisioning_StillProvisionsEveryFile()
    {
        // Issue 10, bug 2, in its deterministic form: recovery used to invent version 1 for the pending put, so the
        // follower skipped provisioning and reported the primary's version with zzz/v1.bin never fetched.
        await using var primary = await TestNode.StartAsync();
        var first = RandomNumberGenerator.GetBytes(10_000);
        var second = RandomNumberGenerator.GetBytes(20_000);
        await primary.Client.PutFileAsync("zzz/v1.bin", new MemoryStream(first), first.Length, null, CancellationToken.None);
        await primary.Client.PutFileAsync("a/x.bin", new MemoryStream(second), second.Length, null, CancellationToken.None);

        using var folder = new TempFolder();
        await (await TestNode.StartFollowerAsync($"http://127.0.0.1:{NodeProcess.FreePort()}", folder.Path)).DisposeAsync();
        Directory.CreateDirectory(Path.Combine(folder.Path, "a"));
        await File.WriteAllBytesAsync(Path.Combine(folder.Path, "a", "x.bin"), second);
        await using (var catalog = new SqliteConnection($"Data Source={Path.Combine(folder.Path, ".mfleet", "catalog.db")};Pooling=False"))
        {
            await catalog.OpenAsync();
            await using var insert = catalog.CreateCommand();
            insert.CommandText = "INSERT INTO intents(op, path, sha256, size) VALUES ('put', 'a/x.bin', $sha, $size)";
            insert.Parameters.AddWithValue("$sha", Convert.ToHexStringLower(SHA256.HashData(second)));
            insert.Parameters.AddWithValue("$size", second.Length);
            await insert.ExecuteNonQueryAsync();
        }

        await using var follower = await TestNode.StartFollowerAsync(primary.Url, folder.Path);

        await Replicas.ConvergedAsync(primary.Client, follower.Client);
        using var get = await follower.Http.GetAsync("files/zzz/v1.bin");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(first, await get.Content.ReadAsByteArrayAsync());
        Replicas.SameBytes(primary.Library, follower.Library);
        Assert.Equal(0, (await follower.Client.GetStatusAsync(CancellationToken.None)).Missing);
    }
}
