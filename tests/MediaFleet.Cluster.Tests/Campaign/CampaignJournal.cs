using System.Diagnostics;
using MediaFleet.Testing;
using Xunit.Abstractions;

namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>
/// What happened in a campaign run, with seconds since its start: notes go to the test output and to campaign.log,
/// every process incarnation's output to a file per role. The folder is removed after a passing run and kept after a
/// failing one, so the failure message can point at the evidence.
/// </summary>
internal sealed class CampaignJournal : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TempFolder _folder;
    private readonly Lock _lock = new();
    private bool _keep;

    public CampaignJournal(int seed, ITestOutputHelper output)
    {
        _output = output;
        _folder = new TempFolder($"mfleet-campaign-{seed}-logs-");
    }

    public string Folder => _folder.Path;

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Note(string text)
    {
        var line = $"[{_clock.Elapsed.TotalSeconds,7:0.0}s] {text}";
        lock (_lock)
        {
            File.AppendAllText(_folder.Combine("campaign.log"), line + "\n");
            try
            {
                _output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test already ended (a late note from a background task): the file keeps it.
            }
        }
    }

    /// <summary>Appends what one incarnation of <paramref name="role"/> printed to &lt;role&gt;.log.</summary>
    public void ProcessOutput(string role, int incarnation, string text)
    {
        lock (_lock)
        {
            File.AppendAllText(_folder.Combine(role + ".log"), $"===== {role} #{incarnation}, saved at {_clock.Elapsed.TotalSeconds:0.0}s =====\n{text}\n");
        }
    }

    /// <summary>Writes a file of evidence (a node's state, its changelog) beside the logs.</summary>
    public void Evidence(string name, IEnumerable<string> lines) => File.WriteAllLines(_folder.Combine(name), lines);

    /// <summary>Keeps the folder after the run (a failure's evidence).</summary>
    public void Keep() => _keep = true;

    public void Dispose()
    {
        if (!_keep)
        {
            _folder.Dispose();
        }
    }
}
