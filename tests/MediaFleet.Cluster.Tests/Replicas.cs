using System.Text.RegularExpressions;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;
using MediaFleet.Testing;

namespace MediaFleet.Cluster.Tests;

/// <summary>Comparisons of what nodes hold, through their own APIs.</summary>
internal static partial class Replicas
{
    public static async Task<IReadOnlyList<FileDto>> ManifestAsync(NodeClient client)
    {
        var list = new List<FileDto>();
        await foreach (var file in client.GetManifestAsync("", CancellationToken.None))
        {
            list.Add(file);
        }
        return list;
    }

    /// <summary>Waits until the follower's version reaches the primary's and their manifests agree.</summary>
    public static async Task ConvergedAsync(NodeClient primary, NodeClient follower, TimeSpan? deadline = null)
    {
        var wanted = (await primary.GetStatusAsync(CancellationToken.None)).Version;
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await follower.GetStatusAsync(CancellationToken.None)).Version >= wanted;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"the follower to reach version {wanted}", deadline);
        var expected = (await ManifestAsync(primary)).Select(f => (f.Path, f.Sha256, f.Size)).ToList();
        var actual = (await ManifestAsync(follower)).Select(f => (f.Path, f.Sha256, f.Size)).ToList();
        Assert.Equal(expected, actual);
    }

    /// <summary>Every library file of two folders, byte for byte (MediaFleet's own .mfleet left out).</summary>
    public static void SameBytes(string expectedFolder, string actualFolder)
    {
        static IReadOnlyList<string> Files(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f))
            .Where(f => !f.StartsWith(".mfleet", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var expected = Files(expectedFolder);
        Assert.Equal(expected, Files(actualFolder));
        foreach (var file in expected)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(expectedFolder, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actualFolder, file))), $"{file} differs");
        }
    }

    /// <summary>The value of a node's replication counter in its /metrics text (0 when it was never incremented).</summary>
    public static async Task<double> CounterAsync(TestNode node, string name)
    {
        var id = (await node.Client.GetStatusAsync(CancellationToken.None)).Id;
        var text = await node.Http.GetStringAsync("metrics");
        var match = Regex.Match(text, "^" + Regex.Escape(name) + @"\{[^}]*node=""" + Regex.Escape(id) + @"""[^}]*\} ([0-9.e+]+)", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
