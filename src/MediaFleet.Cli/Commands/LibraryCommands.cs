using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MediaFleet.Cli.Output;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Files;
using MediaFleet.Library.Digests;
using MediaFleet.Library.Files;

namespace MediaFleet.Cli.Commands;

/// <summary><c>ingest</c>, <c>rm</c>, <c>mv</c>, <c>ls</c>, <c>log</c> and <c>adopt</c>: library work against one node.</summary>
internal static class LibraryCommands
{
    public static IEnumerable<Command> Create(CliConsole console)
    {
        yield return Ingest(console);
        yield return Remove(console);
        yield return Move(console);
        yield return List(console);
        yield return ChangeLog(console);
        yield return Adopt(console);
        yield return Verify(console);
        yield return Status(console);
        yield return Flag(console, "drain", "mark a node backup: the balancer sends it traffic only when no server is up (force_backup)", null, true);
        yield return Flag(console, "undrain", "clear force_backup", null, false);
        yield return Flag(console, "down", "take a node out of the balancer (force_down)", true, null);
        yield return Flag(console, "up", "clear force_down", false, null);
    }

    private static Command Flag(CliConsole console, string name, string description, bool? forceDown, bool? forceBackup)
    {
        var (node, token, json) = (Common.NodeOption(), Common.TokenOption(), Common.JsonOption());
        var command = new Command(name, description + "; kept across restarts as .mfleet/force_down and .mfleet/force_backup") { json, node, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = await Common.Client(parse, node, token).SetFlagsAsync(forceDown, forceBackup, cancellationToken).ConfigureAwait(false);
            console.Out.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(flags, ContractJson.Default.FlagsDto)
                : $"force_down={flags.ForceDown.ToString().ToLowerInvariant()} force_backup={flags.ForceBackup.ToString().ToLowerInvariant()}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Sources from this size on are read once, their digest sent as a trailer on a connection of their own.</summary>
    private const long OnePassFrom = 4L << 20;

    private static Command Ingest(CliConsole console)
    {
        var source = new Argument<string>("SOURCE") { Description = "a file, or a folder whose files all go in" };
        var target = new Argument<string?>("TARGET") { Description = "library path (for a folder: the prefix); default: the file's name", Arity = ArgumentArity.ZeroOrOne };
        var move = new Option<bool>("--move") { Description = "delete each source file after the node confirmed its digest" };
        var (node, token) = (Common.NodeOption(), Common.TokenOption());
        var command = new Command("ingest", "stream files into the primary's library, digest-checked") { source, target, move, node, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var client = Common.Client(parse, node, token);
            var plan = PlanIngest(parse.GetValue(source)!, parse.GetValue(target));
            var named = File.Exists(parse.GetValue(source));
            var total = plan.Sum(p => p.Length);
            var failures = await console.WithProgressAsync("ingest", total, async progress =>
            {
                var failed = 0;
                long before = 0;
                foreach (var (file, path, length) in plan)
                {
                    try
                    {
                        var baseline = before;
                        await using var stream = new ProgressStream(OpenSource(file, named), sent => progress.Report((path, baseline + sent)));
                        FileDto stored;
                        bool created;
                        string sha256;
                        if (length is > 0 and < OnePassFrom && File.Exists(file))
                        {
                            // A small file is read twice from the page cache, over the pooled keep-alive connection: for
                            // a folder of artwork and subtitles a connection per file would cost more than the read.
                            var digest = await Sha256Digest.OfFileAsync(file, cancellationToken).ConfigureAwait(false);
                            (stored, created) = await client.PutFileAsync(path, stream, length, digest.ToHeaderValue(), cancellationToken).ConfigureAwait(false);
                            sha256 = digest.Hex;
                        }
                        else
                        {
                            // One read of the source: hashed while it is sent, the digest checked by the node from the trailer.
                            (stored, created, sha256) = await client.PutFileWithDigestTrailerAsync(path, stream, cancellationToken).ConfigureAwait(false);
                        }
                        if (stored.Sha256 != sha256)
                        {
                            throw new CliException($"{path}: the node stored {stored.Sha256}, not {sha256}");
                        }
                        if (parse.GetValue(move))
                        {
                            File.Delete(file);
                        }
                        var what = created ? "added" : "stored";
                        console.Out.WriteLine($"{what} {stored.Path} ({Common.Size(stored.Size)}, version {stored.Version}){(parse.GetValue(move) ? ", source removed" : "")}");
                    }
                    catch (MediaFleetException e) when (plan.Count > 1 && e.Slug is not ("unauthorized" or "forbidden" or "insufficient-storage"))
                    {
                        failed++;
                        console.Error.WriteLine($"mfleet: {path}: {e.Message}");
                    }
                    before += length;
                    progress.Report((path, before));
                }
                return failed;
            }).ConfigureAwait(false);
            if (failures > 0)
            {
                throw new CliException($"{failures} of {plan.Count} files were not ingested");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Opens a source for its one read. A file named on the command line may be a FIFO (a producer writing into it);
    /// one found in a folder must be a regular file, so a stray FIFO there fails at once instead of waiting for a writer.
    /// </summary>
    private static FileStream OpenSource(string file, bool named)
    {
        if (named)
        {
            return new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        var opened = CopyReader.Open(file);
        if (opened.Handle is not { } handle)
        {
            throw opened.Fault == CopyFault.Absent ? new FileNotFoundException($"{file}: {opened.Detail}", file) : new IOException($"{file}: {opened.Detail}");
        }
        return new FileStream(handle, FileAccess.Read, 1);
    }

    /// <summary>What to send where: one file, or every regular file under a folder (symlinks are not followed).</summary>
    internal static IReadOnlyList<(string File, string Path, long Length)> PlanIngest(string source, string? target)
    {
        if (File.Exists(source))
        {
            var name = Path.GetFileName(source);
            var path = string.IsNullOrEmpty(target) ? name : target.EndsWith('/') ? target + name : target;
            return [(source, path, new FileInfo(source).Length)];
        }
        if (!Directory.Exists(source))
        {
            throw new CliException($"{source}: no such file or folder");
        }
        var prefix = string.IsNullOrEmpty(target) ? "" : target.TrimEnd('/') + "/";
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        return new DirectoryInfo(source).EnumerateFiles("*", options)
            .OrderBy(f => f.FullName, StringComparer.Ordinal)
            .Select(f => (f.FullName, prefix + Path.GetRelativePath(source, f.FullName).Replace(Path.DirectorySeparatorChar, '/'), f.Length))
            .ToList();
    }

    private static Command Remove(CliConsole console)
    {
        var paths = new Argument<string[]>("PATH") { Description = "library paths to delete", Arity = ArgumentArity.OneOrMore };
        var (node, token) = (Common.NodeOption(), Common.TokenOption());
        var command = new Command("rm", "delete files from the library (a new version each)") { paths, node, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var client = Common.Client(parse, node, token);
            foreach (var path in parse.GetValue(paths)!)
            {
                await client.DeleteFileAsync(path, cancellationToken).ConfigureAwait(false);
                console.Out.WriteLine($"removed {path}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Move(CliConsole console)
    {
        var from = new Argument<string>("FROM") { Description = "the library path to move" };
        var to = new Argument<string>("TO") { Description = "its new library path" };
        var (node, token) = (Common.NodeOption(), Common.TokenOption());
        var command = new Command("mv", "rename a file in the library; followers rename too, nothing is copied") { from, to, node, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var version = await Common.Client(parse, node, token).MoveAsync(parse.GetValue(from)!, parse.GetValue(to)!, cancellationToken).ConfigureAwait(false);
            console.Out.WriteLine($"moved {parse.GetValue(from)} to {parse.GetValue(to)} (version {version})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(CliConsole console)
    {
        var prefix = new Argument<string?>("PREFIX") { Description = "only files under this folder", Arity = ArgumentArity.ZeroOrOne };
        var sha256sum = new Option<bool>("--sha256sum") { Description = "print lines `sha256sum -c` accepts (run it in the library folder)" };
        var (node, token, json) = (Common.NodeOption(), Common.TokenOption(), Common.JsonOption());
        var command = new Command("ls", "list the files a node holds") { prefix, sha256sum, json, node, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var files = Common.Client(parse, node, token).GetManifestAsync(parse.GetValue(prefix) ?? "", cancellationToken);
            if (parse.GetValue(json))
            {
                var list = new List<FileDto>();
                await foreach (var file in files.ConfigureAwait(false))
                {
                    list.Add(file);
                }
                console.Out.WriteLine(JsonSerializer.Serialize(list, CliJson.Default.ListFileDto));
                return ExitCodes.Ok;
            }
            await foreach (var file in files.ConfigureAwait(false))
            {
                console.Out.WriteLine(parse.GetValue(sha256sum)
                    ? $"{file.Sha256}  {file.Path}"
                    : string.Create(CultureInfo.InvariantCulture, $"{Common.Size(file.Size),10}  v{file.Version,-6}  {file.Path}"));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ChangeLog(CliConsole console)
    {
        var since = new Option<long>("--since") { Description = "only changes after this version", DefaultValueFactory = _ => 0 };
        var limit = new Option<int>("--limit") { Description = "at most this many changes", DefaultValueFactory = _ => 1000 };
        var (node, token, json) = (Common.NodeOption(), Common.TokenOption(), Common.JsonOption());
        var command = new Command("log", "show the changelog (one version per change)") { since, limit, json, node, token, Compact(console) };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var changes = await Common.Client(parse, node, token).GetChangesAsync(parse.GetValue(since), parse.GetValue(limit), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(changes, ContractJson.Default.ChangesDto));
                return ExitCodes.Ok;
            }
            foreach (var c in changes.Changes)
            {
                var what = c.Op switch
                {
                    "move" => $"{c.Path} -> {c.To}",
                    "put" => $"{c.Path}  {Common.Size(c.Size ?? 0)}  sha256:{c.Sha256?[..12]}",
                    _ => c.Path,
                };
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"v{c.Version,-6} {c.At:yyyy-MM-dd HH:mm:ss}Z  {c.Op,-6}  {what}"));
            }
            console.Out.WriteLine($"data version {changes.Version}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Compact(CliConsole console)
    {
        var keep = new Option<long>("--keep") { Description = "how many of the newest versions to keep in the changelog", Required = true };
        var (node, token) = (Common.NodeOption(), Common.TokenOption());
        var command = new Command("compact", "drop old changelog entries on the primary; followers further behind provision again") { keep, node, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(keep) < 0)
            {
                throw new CliException("--keep must be 0 or more", ExitCodes.Usage);
            }
            var result = await Common.Client(parse, node, token).CompactAsync(parse.GetValue(keep), cancellationToken).ConfigureAwait(false);
            console.Out.WriteLine($"changelog compacted through version {result.CompactedThrough} (data version {result.Version})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Status(CliConsole console)
    {
        var (node, token, json) = (Common.NodeOption(), Common.TokenOption(), Common.JsonOption());
        var coordinator = new Option<string?>("--coordinator") { Description = "show every server as this coordinator sees it (URL, e.g. http://127.0.0.1:8460)" };
        var command = new Command("status", "show a node's role, version, lag and what it still lacks; with --coordinator, every server's state")
            { json, node, coordinator, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(coordinator) is { } coordinatorUrl)
            {
                return await ClusterStatus.RunAsync(console, coordinatorUrl, Common.Cluster(parse, token), parse.GetValue(json), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
            var client = Common.Client(parse, node, token);
            var status = await client.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            var missing = status.Missing > 0 ? await client.GetMissingAsync(cancellationToken).ConfigureAwait(false) : [];
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(status, ContractJson.Default.StatusDto));
                return ExitCodes.Ok;
            }
            console.Out.WriteLine($"node {status.Id} ({(status.Primary ? "primary" : "follower of " + status.Upstream)})");
            console.Out.WriteLine($"version {status.Version}, seen {status.SeenVersion}, lag {status.SeenVersion - status.Version}");
            console.Out.WriteLine($"files {status.Files} ({Common.Size(status.Bytes)}), free {Common.Size(status.FreeBytes)}, load {status.Load:0.00}");
            console.Out.WriteLine($"missing {status.Missing}");
            foreach (var m in missing.Take(20))
            {
                console.Out.WriteLine($"  v{m.Version} {m.Path}: {m.Reason} (attempts {m.Attempts}, next try {m.NextTryAt:HH:mm:ss})");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify(CliConsole console)
    {
        var prefix = new Argument<string?>("PREFIX") { Description = "only files under this folder of the library", Arity = ArgumentArity.ZeroOrOne };
        var (node, token, json) = (Common.NodeOption(), Common.TokenOption(), Common.JsonOption());
        var command = new Command("verify", "re-hash the node's copies now; bad ones are quarantined and healed; exit 3 if any was bad")
            { prefix, json, node, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var lines = Common.Client(parse, node, token).VerifyAsync(parse.GetValue(prefix) ?? "", cancellationToken);
            long bad = 0, done = 0;
            await console.WithProgressAsync("verify", ProgressFraction.Scale, async progress =>
            {
                await foreach (var line in lines.ConfigureAwait(false))
                {
                    if (parse.GetValue(json))
                    {
                        console.Out.WriteLine(JsonSerializer.Serialize(line, ContractJson.Default.VerifyLineDto));
                    }
                    if (line.Event == "bad")
                    {
                        console.Error.WriteLine($"mfleet: {line.Path}: BAD: {line.Detail}");
                    }
                    (bad, done) = (line.Bad, line.Done);
                    progress.Report((line.Path ?? "done", ProgressFraction.Of(line.Done, line.Total)));
                }
                return 0;
            }).ConfigureAwait(false);
            if (!parse.GetValue(json))
            {
                console.Out.WriteLine(bad == 0 ? $"verify: {done} copies checked, all good" : $"verify: {done} copies checked, {bad} BAD (quarantined; being healed)");
            }
            return bad > 0 ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;
    }

    private static Command Adopt(CliConsole console)
    {
        var prefix = new Argument<string?>("PREFIX") { Description = "only files under this folder of the library", Arity = ArgumentArity.ZeroOrOne };
        var (node, token, json) = (Common.NodeOption(), Common.TokenOption(), Common.JsonOption());
        var command = new Command("adopt", "take files already in the primary's folder into the catalog, in place (checked against .<name>.sha1 sidecars); exit 3 on a mismatch")
            { prefix, json, node, token };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var events = Common.Client(parse, node, token).AdoptAsync(parse.GetValue(prefix) ?? "", cancellationToken);
            var mismatches = 0;
            await console.WithProgressAsync("adopt", ProgressFraction.Scale, async progress =>
            {
                await foreach (var e in events.ConfigureAwait(false))
                {
                    if (parse.GetValue(json))
                    {
                        console.Out.WriteLine(JsonSerializer.Serialize(e, ContractJson.Default.AdoptLineDto));
                    }
                    switch (e.Event)
                    {
                        case "mismatch":
                            mismatches++;
                            console.Error.WriteLine($"mfleet: {e.Path}: not adopted: {e.Detail}");
                            break;
                        case "adopted" when !parse.GetValue(json):
                            console.Out.WriteLine($"adopted {e.Path} (version {e.Version})");
                            break;
                        case "done" when !parse.GetValue(json):
                            console.Out.WriteLine($"adopt: {e.Detail}; data version {e.Version}");
                            break;
                    }
                    progress.Report((e.Path ?? "done", ProgressFraction.Of(e.Done, e.Total)));
                }
                return 0;
            }).ConfigureAwait(false);
            return mismatches > 0 ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<FileDto>))]
internal sealed partial class CliJson : System.Text.Json.Serialization.JsonSerializerContext;
