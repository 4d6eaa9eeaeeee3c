namespace MediaFleet.Cluster.Tests.Campaign;

/// <summary>
/// Round after round: waits a random while, kill -9s a random role (a follower, the primary, the coordinator), waits
/// a random while again and starts it on the same folder and port. One role is down at a time.
/// </summary>
internal sealed class CampaignKiller(CampaignCluster cluster, int seed, CampaignJournal journal)
{
    private readonly Random _random = new(seed);

    public int Kills { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Seconds(1, 6), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var role = CampaignCluster.Roles[_random.Next(CampaignCluster.Roles.Length)];
            var down = Seconds(0, 2);
            if (cluster.IsRunning(role))
            {
                await cluster.KillAsync(role);
                Kills++;
                journal.Note($"killed {role} (kill -9); back in {down.TotalSeconds:0.0} s");
            }
            // Not cancelled by stop: a killed role always comes back before the campaign ends.
            await Task.Delay(down, CancellationToken.None);
            await cluster.StartAsync(role);
        }
    }

    private TimeSpan Seconds(double min, double max) => TimeSpan.FromSeconds(min + (_random.NextDouble() * (max - min)));
}
