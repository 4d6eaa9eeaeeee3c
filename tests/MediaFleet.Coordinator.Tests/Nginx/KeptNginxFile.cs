using System.Globalization;
using System.Text;
using MediaFleet.Contracts.Coordinator;
using MediaFleet.Testing;

namespace MediaFleet.Coordinator.Tests.Nginx;

/// <summary>
/// A real coordinator keeping a real nginx file in its own temp folder, with shell commands for the nginx test and
/// reload that count their runs in files beside it, and a heartbeat pump for made-up nodes.
/// </summary>
internal sealed class KeptNginxFile : IAsyncDisposable
{
    /// <summary>Latin-1 maps bytes to chars one to one: file contents are written and compared as exact bytes.</summary>
    public static readonly Encoding Bytes = Encoding.Latin1;

    private KeptNginxFile(TempFolder folder, string path, TimeSpan downAfter)
    {
        Folder = folder;
        Path = path;
        DownAfter = downAfter;
    }

    public TempFolder Folder { get; }

    /// <summary>The nginx file the coordinator keeps.</summary>
    public string Path { get; }

    public TimeSpan DownAfter { get; }

    public TestCoordinator Coordinator { get; private set; } = null!;

    public HeartbeatPump Pump { get; private set; } = null!;

    /// <summary>Runs of the reload command so far.</summary>
    public int Reloads => Runs("reloads");

    /// <summary>Runs of the test command so far, when it counts them (see <see cref="CountingTest"/>).</summary>
    public int TestRuns => Runs("tests");

    /// <summary>Makes <see cref="CountingTest"/> pass from now on.</summary>
    public string OkFile => Folder.Combine("ok");

    public string Text => Bytes.GetString(File.ReadAllBytes(Path));

    /// <summary>A test command that counts its runs and passes only once <see cref="OkFile"/> exists.</summary>
    public static string CountingTest(TempFolder folder) => $"sh -c 'echo t >> {folder.Combine("tests")}; test -e {folder.Combine("ok")}'";

    /// <summary>
    /// Writes <paramref name="text"/> (as Latin-1 bytes) to <c>nginx.conf</c> in a new folder and starts a coordinator
    /// keeping it, heartbeat interval 0.5 s. The test command is <paramref name="test"/>, by default one that counts its
    /// runs and passes; <paramref name="before"/> may prepare the folder first; <paramref name="logs"/> receives its log.
    /// </summary>
    public static async Task<KeptNginxFile> StartAsync(
        string text, double downAfter = 2, double debounce = 0.5, Func<TempFolder, string>? test = null, Action<TempFolder, string>? before = null,
        CapturedLogs? logs = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var folder = new TempFolder("mfleet-nginx-");
        var kept = new KeptNginxFile(folder, folder.Combine("nginx.conf"), TimeSpan.FromSeconds(downAfter));
        try
        {
            await File.WriteAllBytesAsync(kept.Path, Bytes.GetBytes(text));
            before?.Invoke(folder, kept.Path);
            if (test is null)
            {
                File.Create(kept.OkFile).Dispose();
            }
            var all = new Dictionary<string, string?>
            {
                ["Coordinator:NginxConf"] = kept.Path,
                ["Coordinator:NginxTest"] = test?.Invoke(folder) ?? CountingTest(folder),
                ["Coordinator:NginxReload"] = $"sh -c 'echo r >> {folder.Combine("reloads")}'",
                ["Coordinator:HeartbeatInterval"] = "0.5",
                ["Coordinator:DownAfter"] = downAfter.ToString(CultureInfo.InvariantCulture),
                ["Coordinator:ReloadDebounce"] = debounce.ToString(CultureInfo.InvariantCulture),
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                all[key] = value;
            }
            kept.Coordinator = await TestCoordinator.StartAsync(all, logs);
            // Ten heartbeats per DownAfter at least: a busy machine must not make a node look silent.
            kept.Pump = new HeartbeatPump(kept.Coordinator.Client, TimeSpan.FromMilliseconds(100));
            return kept;
        }
        catch
        {
            await kept.DisposeAsync();
            throw;
        }
    }

    public async Task<NginxStateDto> NginxAsync() =>
        (await Coordinator.Client.GetStateAsync(CancellationToken.None)).Nginx ?? throw new InvalidOperationException("no nginx state");

    /// <summary>Waits until the file reads <paramref name="expected"/>.</summary>
    public Task FileIsAsync(string expected) => Eventually.TrueAsync(() => Text == expected, $"the nginx file to read:\n{expected}");

    /// <summary>Waits until the reload command ran <paramref name="count"/> times and the coordinator has counted them.</summary>
    public Task ReloadsAreAsync(int count) =>
        Eventually.TrueAsync(async () => Reloads == count && (await NginxAsync()).Reloads == count, $"{count} reloads");

    private int Runs(string name)
    {
        var file = Folder.Combine(name);
        return File.Exists(file) ? File.ReadAllLines(file).Length : 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (Pump is not null)
        {
            await Pump.DisposeAsync();
        }
        if (Coordinator is not null)
        {
            await Coordinator.DisposeAsync();
        }
        Folder.Dispose();
    }
}
