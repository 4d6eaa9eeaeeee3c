using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace MediaFleet.Bench.SoakLoad;

/// <summary>
/// Readers (whole files and Ranges, every body checked against the seeded file's digest or bytes) through a balancer,
/// and writers (PUT with Repr-Digest, some deletes) to the primary, for a fixed time; exact counts of every error.
/// </summary>
internal static class Program
{
    private const string Usage = """
        SoakLoad --read-url URL --write-url URL --seed FOLDER [--token T] [--readers 64] [--writers 4] [--duration 60]
          --read-url   where readers GET /files/<path> (the balancer)
          --write-url  where writers PUT and DELETE /files/soak/w<N>/<K>.bin (the primary)
          --seed       a folder whose files (relative paths) the cluster already holds; readers read only these
        The last line, "soak key=value ...", is for scripts.
        """;

    public static async Task<int> Main(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }
        if (!options.ContainsKey("read-url") || !options.ContainsKey("write-url") || !options.ContainsKey("seed"))
        {
            await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }
        var readers = int.Parse(options.GetValueOrDefault("readers", "64"), CultureInfo.InvariantCulture);
        var writers = int.Parse(options.GetValueOrDefault("writers", "4"), CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("duration", "60").TrimEnd('s'), CultureInfo.InvariantCulture));
        var seed = options["seed"];
        var files = Directory.EnumerateFiles(seed, "*", SearchOption.AllDirectories)
            .Select(f => new SeedFile(Path.GetRelativePath(seed, f).Replace('\\', '/'), File.ReadAllBytes(f)))
            .OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = readers + writers, UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        if (options.GetValueOrDefault("token") is { Length: > 0 } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        var readUrl = options["read-url"].TrimEnd('/');
        var writeUrl = options["write-url"].TrimEnd('/');
        var reads = new Tally();
        var writes = new Tally();
        using var stop = new CancellationTokenSource(duration);
        var tasks = new List<Task>();
        for (var r = 0; r < readers; r++)
        {
            var random = new Random(r);
            tasks.Add(Task.Run(() => ReadLoopAsync(http, readUrl, files, random, reads, stop.Token)));
        }
        for (var w = 0; w < writers; w++)
        {
            var writer = w;
            tasks.Add(Task.Run(() => WriteLoopAsync(http, writeUrl, writer, new Random(1000 + writer), writes, stop.Token)));
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);

        var lines = new[]
        {
            reads.Line("reads", duration),
            writes.Line("writes", duration),
            reads.Errors.IsEmpty && writes.Errors.IsEmpty ? "errors: none" : "errors: " + string.Join("; ", reads.Errors.Concat(writes.Errors).GroupBy(e => e).Select(g => $"{g.Count()}× {g.Key}").Take(20)),
            Invariant($"soak reads={reads.Count} read_errors={reads.ErrorCount} read_p50_ms={reads.Percentile(0.5):F2} read_p99_ms={reads.Percentile(0.99):F2} read_bytes={reads.Bytes} writes={writes.Count} write_errors={writes.ErrorCount} write_p50_ms={writes.Percentile(0.5):F2} write_p99_ms={writes.Percentile(0.99):F2} write_bytes={writes.Bytes}"),
        };
        foreach (var line in lines)
        {
            await Console.Out.WriteLineAsync(line).ConfigureAwait(false);
        }
        return reads.ErrorCount + writes.ErrorCount == 0 ? 0 : 1;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string FileUri(string baseUrl, string path) => baseUrl + "/files/" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>Half whole files (SHA-256 of the body checked), half one Range (the bytes compared).</summary>
    private static async Task ReadLoopAsync(HttpClient http, string baseUrl, SeedFile[] files, Random random, Tally tally, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var file = files[random.Next(files.Length)];
            using var request = new HttpRequestMessage(HttpMethod.Get, FileUri(baseUrl, file.Path));
            long start = 0;
            var length = file.Bytes.Length;
            var ranged = random.Next(2) == 0 && file.Bytes.Length > 1;
            if (ranged)
            {
                start = random.NextInt64(file.Bytes.Length);
                length = (int)Math.Min(file.Bytes.Length - start, 1 + random.Next(256 * 1024));
                request.Headers.Range = new RangeHeaderValue(start, start + length - 1);
            }
            var began = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request, stop).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync(stop).ConfigureAwait(false);
                var ms = Stopwatch.GetElapsedTime(began).TotalMilliseconds;
                var expected = ranged ? HttpStatusCode.PartialContent : HttpStatusCode.OK;
                if (response.StatusCode != expected)
                {
                    tally.Error($"GET {(ranged ? "range" : "whole")} answered {(int)response.StatusCode}");
                }
                else if (ranged ? !body.AsSpan().SequenceEqual(file.Bytes.AsSpan((int)start, length)) : !SHA256.HashData(body).AsSpan().SequenceEqual(file.Sha256))
                {
                    tally.Error($"GET {(ranged ? "range" : "whole")} returned other bytes");
                }
                else
                {
                    tally.Ok(ms, body.Length);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                tally.Error("GET failed: " + e.GetType().Name + ": " + e.Message);
            }
        }
    }

    /// <summary>New files of 16 KiB to 2 MiB with Repr-Digest; every fifth write deletes the writer's oldest file instead.</summary>
    private static async Task WriteLoopAsync(HttpClient http, string baseUrl, int writer, Random random, Tally tally, CancellationToken stop)
    {
        var mine = new Queue<string>();
        var next = 0;
        while (!stop.IsCancellationRequested)
        {
            var delete = mine.Count > 5 && next % 5 == 4;
            var path = delete ? mine.Peek() : $"soak/w{writer}/{next}.bin";
            next++;
            using var request = new HttpRequestMessage(delete ? HttpMethod.Delete : HttpMethod.Put, FileUri(baseUrl, path));
            var size = 0;
            if (!delete)
            {
                var bytes = new byte[16 * 1024 + random.Next(2 * 1024 * 1024 - 16 * 1024)];
                random.NextBytes(bytes);
                size = bytes.Length;
                request.Content = new ByteArrayContent(bytes);
                request.Headers.Add("Repr-Digest", "sha-256=:" + Convert.ToBase64String(SHA256.HashData(bytes)) + ":");
            }
            var began = Stopwatch.GetTimestamp();
            try
            {
                // Not cancelled by the end of the run: a write in flight finishes, so the cluster ends in a state it chose.
                using var response = await http.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
                var ms = Stopwatch.GetElapsedTime(began).TotalMilliseconds;
                var expected = delete ? HttpStatusCode.NoContent : HttpStatusCode.Created;
                if (response.StatusCode != expected)
                {
                    tally.Error($"{request.Method} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(CancellationToken.None).ConfigureAwait(false)}");
                    continue;
                }
                tally.Ok(ms, size);
                if (delete)
                {
                    mine.Dequeue();
                }
                else
                {
                    mine.Enqueue(path);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                tally.Error($"{request.Method} failed: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private sealed record SeedFile(string Path, byte[] Bytes)
    {
        public byte[] Sha256 { get; } = SHA256.HashData(Bytes);
    }

    /// <summary>Latencies of successes and the text of every failure, from many threads.</summary>
    private sealed class Tally
    {
        private readonly List<double> _latencies = [];
        private long _bytes;

        public System.Collections.Concurrent.ConcurrentQueue<string> Errors { get; } = new();

        public int ErrorCount => Errors.Count;

        public int Count
        {
            get
            {
                lock (_latencies)
                {
                    return _latencies.Count;
                }
            }
        }

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Ok(double ms, long bytes)
        {
            Interlocked.Add(ref _bytes, bytes);
            lock (_latencies)
            {
                _latencies.Add(ms);
            }
        }

        public void Error(string what) => Errors.Enqueue(what);

        public double Percentile(double p)
        {
            lock (_latencies)
            {
                if (_latencies.Count == 0)
                {
                    return double.NaN;
                }
                var sorted = _latencies.Order().ToArray();
                return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
            }
        }

        public string Line(string name, TimeSpan duration) => Invariant(
            $"{name}: {Count} ok ({Count / duration.TotalSeconds:F1}/s, {Bytes / 1048576.0 / duration.TotalSeconds:F1} MiB/s), {ErrorCount} errors, p50 {Percentile(0.5):F2} ms, p99 {Percentile(0.99):F2} ms, max {Percentile(1):F2} ms");
    }
}
