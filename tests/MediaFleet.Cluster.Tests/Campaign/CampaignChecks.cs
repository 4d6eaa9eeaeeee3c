using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;

namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>
/// What must hold once faults and writes have stopped, each check adding a plain sentence per difference it finds:
/// followers converge on the primary (status, manifest, changelog version by version, bytes), the primary holds every
/// acknowledged write, no node keeps temp files or files its catalog does not know, and the balancer serves again.
/// </summary>
internal sealed partial class CampaignChecks(CampaignCluster cluster, CampaignWriter writer, CampaignJournal journal)
{
    private const int MaxPerCheck = 12;

    public List<string> Findings { get; } = [];

    private void Add(string check, IReadOnlyCollection<string> differences)
    {
        Findings.AddRange(differences.Take(MaxPerCheck).Select(d => $"{check}: {d}"));
        if (differences.Count > MaxPerCheck)
        {
            Findings.Add($"{check}: … and {differences.Count - MaxPerCheck} more");
        }
    }

    public async Task RunAsync(TimeSpan convergeWithin)
    {
        var primary = cluster.Client(CampaignCluster.Primary);
        var converged = await ConvergeAsync(primary, convergeWithin);
        var (version, primaryFiles) = await primary.GetSnapshotAsync(CancellationToken.None);
        journal.Note($"primary at version {version} with {primaryFiles.Count} files; followers {(converged ? "converged" : "did NOT converge")}");
        CheckWrites(primaryFiles);
        var primaryLog = await ChangelogAsync(CampaignCluster.Primary, primary, version);
        CheckAcknowledgedVersions(primaryLog);
        foreach (var node in CampaignCluster.Nodes)
        {
            var files = node == CampaignCluster.Primary ? primaryFiles : (await cluster.Client(node).GetSnapshotAsync(CancellationToken.None)).Files;
            var log = node == CampaignCluster.Primary ? primaryLog : await ChangelogAsync(node, cluster.Client(node), version);
            if (node != CampaignCluster.Primary)
            {
                Add($"manifest of {node}", Differences(primaryFiles, files));
                Add($"changelog of {node}", Differences(primaryLog, log));
            }
            CheckFolder(node, files);
            await SaveEvidenceAsync(node, files, log);
        }
        await CheckBalancerAsync(primaryFiles);
    }

    /// <summary>A node's status, missing list, manifest and changelog beside its output, for a failure's reader.</summary>
    private async Task SaveEvidenceAsync(string node, IReadOnlyList<FileDto> files, IReadOnlyList<ChangeDto> log)
    {
        var client = cluster.Client(node);
        var status = await client.GetStatusAsync(CancellationToken.None);
        var missing = await client.GetMissingAsync(CancellationToken.None);
        journal.Evidence($"{node}.state.txt",
            [$"status: {status}", "missing:", .. missing.Select(m => $"  {m}"), "manifest:", .. files.Select(f => $"  v{f.Version} {f.Sha256} {f.Size,9} {f.Path}"),
             "changelog:", .. log.Select(c => $"  v{c.Version} {c.Op} {c.Path}{(c.To is null ? "" : " -> " + c.To)} {c.Sha256} {c.Size}")]);
    }

    /// <summary>Every follower reaches the primary's version with nothing missing; false (and findings) when one does not in time.</summary>
    private async Task<bool> ConvergeAsync(NodeClient primary, TimeSpan within)
    {
        var wanted = (await primary.GetStatusAsync(CancellationToken.None)).Version;
        var last = new Dictionary<string, string>();
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                var all = true;
                foreach (var node in CampaignCluster.Nodes.Skip(1))
                {
                    try
                    {
                        var status = await cluster.Client(node).GetStatusAsync(CancellationToken.None);
                        last[node] = $"version {status.Version}, seen {status.SeenVersion}, missing {status.Missing}";
                        if (status.Version == wanted && status.SeenVersion == wanted && status.Missing == 0)
                        {
                            last.Remove(node);
                        }
                        else
                        {
                            all = false;
                        }
                    }
                    catch (HttpRequestException e)
                    {
                        last[node] = "no answer: " + e.Message;
                        all = false;
                    }
                }
                return all;
            }, "followers to converge", within);
            journal.Note($"followers converged on version {wanted}");
            return true;
        }
        catch (TimeoutException)
        {
            foreach (var (node, status) in last)
            {
                var missing = "";
                try
                {
                    missing = string.Join("; ", (await cluster.Client(node).GetMissingAsync(CancellationToken.None)).Take(5).Select(m => $"{m.Path} v{m.Version} ({m.Reason}, {m.Attempts} attempts)"));
                }
                catch (HttpRequestException)
                {
                }
                Findings.Add($"convergence: {node} not at the primary's version {wanted} within {within.TotalSeconds:0} s: {status}{(missing.Length > 0 ? "; missing: " + missing : "")}; its last lines:\n{Tail(cluster.OutputOf(node), 6)}");
            }
            return false;
        }
    }

    /// <summary>The primary holds what the writer's acknowledged writes left (or one of the outcomes of an unanswered one).</summary>
    private void CheckWrites(IReadOnlyList<FileDto> primaryFiles)
    {
        var held = primaryFiles.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var path in writer.Expected.Paths.Union(held.Keys).Order(StringComparer.Ordinal))
        {
            var actual = held.GetValueOrDefault(path);
            var possible = writer.Expected.Possible(path);
            if (!possible.Contains(actual))
            {
                differences.Add($"{path}: the primary holds {actual ?? "nothing"}, the writer's acknowledged writes leave {string.Join(" or ", possible.Select(p => p ?? "nothing"))}");
            }
        }
        Add("acknowledged writes", differences);
        Add("writer", writer.Findings);
    }

    /// <summary>Each version the primary answered a write with is in its changelog, as that write.</summary>
    private void CheckAcknowledgedVersions(IReadOnlyList<ChangeDto> primaryLog)
    {
        var byVersion = primaryLog.ToDictionary(c => c.Version);
        var differences = new List<string>();
        foreach (var (version, op, path, sha256) in writer.Acknowledged)
        {
            if (!byVersion.TryGetValue(version, out var entry))
            {
                differences.Add($"{op} of {path} was acknowledged as version {version}, which is not in the primary's changelog");
            }
            // A put of bytes the path already holds answers with the version that put them there: a put or a move onto it.
            else if (op == "move" ? entry.Op != "move" || entry.To != path
                : !(entry.Op == "put" && entry.Path == path && entry.Sha256 == sha256 || entry.Op == "move" && entry.To == path))
            {
                differences.Add($"{op} of {path} ({sha256}) was acknowledged as version {version}, the changelog has {Describe(entry)} there");
            }
        }
        Add("acknowledged versions", differences);
    }

    /// <summary>No temp file left, and the library folder holds exactly the catalog's files with their bytes.</summary>
    private void CheckFolder(string node, IReadOnlyList<FileDto> files)
    {
        var library = cluster.Library(node);
        var temp = Path.Combine(library, ".mfleet", "tmp");
        if (Directory.Exists(temp))
        {
            Add($"temp of {node}", Directory.EnumerateFileSystemEntries(temp, "*", SearchOption.AllDirectories)
                .Select(f => $"{Path.GetRelativePath(library, f)} ({(File.Exists(f) ? new FileInfo(f).Length : 0)} bytes) is left").ToList());
        }
        var onDisk = Directory.EnumerateFiles(library, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(library, f).Replace('\\', '/'))
            .Where(f => f != ".mfleet" && !f.StartsWith(".mfleet/", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
        var known = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        Add($"folder of {node}", [.. onDisk.Where(f => !known.ContainsKey(f)).Order(StringComparer.Ordinal).Select(f => $"{f} is on disk but not in the catalog")]);
        var differences = new List<string>();
        foreach (var file in files)
        {
            var physical = Path.Combine(library, file.Path);
            if (!onDisk.Contains(file.Path))
            {
                differences.Add($"{file.Path} is in the catalog but not on disk");
                continue;
            }
            using var stream = File.OpenRead(physical);
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (sha256 != file.Sha256 || stream.Length != file.Size)
            {
                differences.Add($"{file.Path} on disk is {stream.Length} bytes with {sha256}, the catalog says {file.Size} bytes with {file.Sha256}");
            }
        }
        Add($"bytes of {node}", differences);
    }

    /// <summary>The coordinator publishes every node up again and nginx serves the primary's bytes.</summary>
    private async Task CheckBalancerAsync(IReadOnlyList<FileDto> primaryFiles)
    {
        var coordinator = cluster.CoordinatorClient();
        var states = "";
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    var nodes = await coordinator.GetNodesAsync(CancellationToken.None);
                    states = string.Join(", ", nodes.Select(n => $"{n.Id} {n.State} ({n.Reason})"));
                    return CampaignCluster.Nodes.All(id => nodes.Any(n => n.Id == id && n.State == "up"));
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "every node up", TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            Findings.Add($"balancer: the coordinator does not publish every node up within 30 s: {states}");
            return;
        }
        using var http = new HttpClient { BaseAddress = new Uri(cluster.Nginx.BaseUrl) };
        var differences = new List<string>();
        // The coordinator writes the nginx file within ReloadDebounce of the states, and nginx's old workers answer the
        // connections they already took with the old file for a moment after a reload: the balancer gets a few seconds.
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                differences = await GetThroughNginxAsync(http, primaryFiles);
                return differences.Count == 0;
            }, "every file through nginx", TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            // The differences of the last try are the findings.
        }
        Add("balancer", differences);
    }

    private static async Task<List<string>> GetThroughNginxAsync(HttpClient http, IEnumerable<FileDto> primaryFiles)
    {
        var differences = new List<string>();
        foreach (var file in primaryFiles.Take(10))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/" + NodeClient.FileUri(file.Path));
            request.Headers.ConnectionClose = true;
            using var response = await http.SendAsync(request);
            var upstream = response.Headers.TryGetValues("X-Upstream", out var values) ? string.Join(",", values) : "?";
            if (response.StatusCode != HttpStatusCode.OK)
            {
                differences.Add($"GET {file.Path} through nginx answered {(int)response.StatusCode} from {upstream}");
                continue;
            }
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(await response.Content.ReadAsByteArrayAsync()));
            if (sha256 != file.Sha256)
            {
                differences.Add($"GET {file.Path} through nginx gave {sha256} from {upstream}, the primary holds {file.Sha256}");
            }
        }
        return differences;
    }

    /// <summary>
    /// A node's changelog from its compaction point (a follower that provisioned from a manifest starts there) up to
    /// <paramref name="version"/>; a version missing or twice is a finding.
    /// </summary>
    private async Task<IReadOnlyList<ChangeDto>> ChangelogAsync(string node, NodeClient client, long version)
    {
        long since = 0;
        var log = new List<ChangeDto>();
        try
        {
            await client.GetChangesAsync(0, 1, CancellationToken.None);
        }
        catch (MediaFleetException e) when (e.Status == HttpStatusCode.Gone && CompactedThrough().Match(e.Message) is { Success: true } match)
        {
            since = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        var from = since;
        while (since < version)
        {
            var page = await client.GetChangesAsync(since, 1000, CancellationToken.None);
            if (page.Changes.Count == 0)
            {
                break;
            }
            log.AddRange(page.Changes);
            since = page.Changes[^1].Version;
        }
        var last = log.Count == 0 ? from : Math.Min(version, log.Max(c => c.Version));
        var expected = Enumerable.Range(0, (int)(last - from)).Select(i => from + 1 + i);
        var differences = expected.Except(log.Select(c => c.Version)).Select(v => $"version {v} is missing").ToList();
        if (last < version)
        {
            differences.Add($"it ends at version {last}, the primary's at {version}");
        }
        differences.AddRange(log.GroupBy(c => c.Version).Where(g => g.Count() > 1).Select(g => $"version {g.Key} is there {g.Count()} times"));
        differences.AddRange(log.Where(c => c.Version > version).Select(c => $"version {c.Version} is past the primary's {version}"));
        if (node != CampaignCluster.Primary)
        {
            journal.Note($"changelog of {node} runs from version {from + 1}");
        }
        else if (from > 0)
        {
            differences.Add($"the primary's changelog was compacted through {from}, though nobody compacted it");
        }
        Add($"changelog of {node}", differences);
        return log;
    }

    /// <summary>Files of the primary's manifest that a follower lacks, has otherwise, or has in addition.</summary>
    private static List<string> Differences(IReadOnlyList<FileDto> expected, IReadOnlyList<FileDto> actual)
    {
        var theirs = actual.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var ours = expected.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var file in expected)
        {
            if (!theirs.TryGetValue(file.Path, out var other))
            {
                differences.Add($"{file.Path} (v{file.Version}) is absent");
            }
            else if (other != file)
            {
                differences.Add($"{file.Path} is {other.Sha256[..12]} {other.Size} B v{other.Version}, the primary's {file.Sha256[..12]} {file.Size} B v{file.Version}");
            }
        }
        differences.AddRange(actual.Where(f => !ours.ContainsKey(f.Path)).Select(f => $"{f.Path} (v{f.Version}) is there but not on the primary"));
        return differences;
    }

    /// <summary>Entries of a follower's changelog that differ from the primary's entry of the same version.</summary>
    private static List<string> Differences(IReadOnlyList<ChangeDto> primary, IReadOnlyList<ChangeDto> follower)
    {
        var byVersion = primary.GroupBy(c => c.Version).ToDictionary(g => g.Key, g => g.First());
        return follower
            .Where(c => !byVersion.TryGetValue(c.Version, out var p) || (p.Op, p.Path, p.To, p.Sha256, p.Size) != (c.Op, c.Path, c.To, c.Sha256, c.Size))
            .Select(c => $"version {c.Version} is {Describe(c)}, the primary's is {(byVersion.TryGetValue(c.Version, out var p) ? Describe(p) : "absent")}")
            .ToList();
    }

    private static string Describe(ChangeDto c) => $"{c.Op} {c.Path}{(c.To is null ? "" : " -> " + c.To)} {c.Sha256?[..Math.Min(12, c.Sha256.Length)]}";

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));

    [GeneratedRegex(@"up to (\d+)")]
    private static partial Regex CompactedThrough();
}
