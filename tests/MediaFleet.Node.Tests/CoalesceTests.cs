using MediaFleet.Library.Catalog;
using MediaFleet.Library.Digests;
using MediaFleet.Node.Replication;

namespace MediaFleet.Node.Tests;

/// <summary>The follower's batch plan: which changes still need work once later ones are known.</summary>
public sealed class CoalesceTests
{
    private static readonly Sha256Digest A = Sha256Digest.FromBytes(new byte[32]);

    private static ChangeEntry Put(long v, string path) => new(new DataVersion(v), ChangeOp.Put, path, null, A, 1, DateTimeOffset.UnixEpoch);
    private static ChangeEntry Delete(long v, string path) => new(new DataVersion(v), ChangeOp.Delete, path, null, null, null, DateTimeOffset.UnixEpoch);
    private static ChangeEntry Move(long v, string from, string to) => new(new DataVersion(v), ChangeOp.Move, from, to, A, 1, DateTimeOffset.UnixEpoch);

    public static TheoryData<ChangeEntry[], long[]> Cases => new()
    {
        { [Put(1, "a"), Delete(2, "a")], [2] },
        { [Put(1, "a"), Put(2, "a")], [2] },
        { [Put(1, "a"), Put(2, "b"), Delete(3, "a")], [2, 3] },
        { [Put(1, "a"), Move(2, "a", "b")], [1, 2] },
        { [Put(1, "a"), Move(2, "b", "a")], [2] },
        { [Put(1, "a"), Move(2, "a", "b"), Put(3, "a")], [1, 2, 3] },
        { [Delete(1, "a"), Put(2, "a")], [1, 2] },
        { [Put(1, "a"), Put(2, "a"), Delete(3, "a"), Put(4, "a")], [3, 4] },
        { [], [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Coalesce_SkipsOnlyPutsThatALaterChangeReplaces(ChangeEntry[] batch, long[] kept) =>
        Assert.Equal(kept, Follower.Coalesce(batch).Select(c => c.Version.Value));
}
