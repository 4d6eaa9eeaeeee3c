using Spectre.Console;

namespace MediaFleet.Cli.Output;

/// <summary>
/// Where commands write: plain lines to the given writers, and a Spectre.Console progress bar only when
/// standard output is a terminal (so pipes and tests get plain lines, DESIGN.md section 10).
/// </summary>
public sealed class CliConsole(TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public bool IsTerminal => ReferenceEquals(Out, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="work"/> with a progress reporter: a live bar on a terminal, else nothing.</summary>
    public async Task<T> WithProgressAsync<T>(string title, long total, Func<IProgress<(string Label, long Done)>, Task<T>> work)
    {
        if (!IsTerminal)
        {
            return await work(new Progress<(string, long)>()).ConfigureAwait(false);
        }
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(title, maxValue: Math.Max(total, 1));
                var reporter = new SyncProgress(value =>
                {
                    task.Description = Markup.Escape(value.Label);
                    task.Value = value.Done;
                });
                result = await work(reporter).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }

    private sealed class SyncProgress(Action<(string Label, long Done)> report) : IProgress<(string Label, long Done)>
    {
        public void Report((string Label, long Done) value) => report(value);
    }
}
