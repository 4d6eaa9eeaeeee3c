using MediaFleet.Node.Files;
using Microsoft.AspNetCore.Connections;

namespace MediaFleet.Node.Tests;

public sealed class LargeBlockMemoryPoolTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(4096)]
    public void Rent_AnySmallSize_GivesAWhole64KiBBlock(int size)
    {
        using var pool = new LargeBlockMemoryPool.Factory().Create();

        using var block = pool.Rent(size);

        Assert.Equal(LargeBlockMemoryPool.BlockSize, pool.MaxBufferSize);
        Assert.True(block.Memory.Length >= LargeBlockMemoryPool.BlockSize);
    }

    [Fact]
    public void Block_DisposedTwice_IsReturnedOnceAndThenUnusable()
    {
        using var pool = new LargeBlockMemoryPool();
        var block = pool.Rent();

        block.Dispose();
        block.Dispose();

        Assert.Throws<ObjectDisposedException>(() => block.Memory);
    }

    [Fact]
    public async Task Node_UsesTheLargeBlockPoolForItsConnections()
    {
        await using var node = await MediaFleet.Testing.TestNode.StartAsync();

        Assert.IsType<LargeBlockMemoryPool.Factory>(node.Services.GetService(typeof(IMemoryPoolFactory<byte>)));
    }
}
