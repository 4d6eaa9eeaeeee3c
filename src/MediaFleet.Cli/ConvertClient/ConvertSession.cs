using System.CommandLine;
using MediaFleet.Cli.Commands;
using MediaFleet.Contracts.Client;
using MediaFleet.Conversion.Client;

namespace MediaFleet.Cli.ConvertClient;

/// <summary>What every <c>convert</c> subcommand works with: the broker, its typed clients and the local store.</summary>
internal sealed class ConvertSession : IDisposable
{
    public const string DefaultBroker = "http://127.0.0.1:8490";

    /// <summary>How long a question (status, list, cancel) may wait for the broker before it counts as not answering.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient _calls;
    private readonly HttpClient _transfers;

    private ConvertSession(string url, HttpClient calls, HttpClient transfers, ClientStore store, TimeProvider time)
    {
        Url = url;
        _calls = calls;
        _transfers = transfers;
        Store = store;
        Time = time;
        BrokerKey = ClientStore.BrokerKey(calls.BaseAddress!);
        Broker = new BrokerClient(calls);
        Sync = new BrokerSync(Broker, BrokerKey, store);
        Submitter = new JobSubmitter(new BrokerClient(transfers), BrokerKey, store);
        Fetcher = new OutputFetcher(transfers, BrokerKey, store, time);
    }

    /// <summary>The broker URL as given.</summary>
    public string Url { get; }

    /// <summary>The broker URL as the store keys it.</summary>
    public string BrokerKey { get; }

    public ClientStore Store { get; }

    public TimeProvider Time { get; }

    /// <summary>For questions: each call gives up after <see cref="CallTimeout"/>.</summary>
    public BrokerClient Broker { get; }

    public BrokerSync Sync { get; }

    /// <summary>Uploads take as long as they take (a large input on a slow link).</summary>
    public JobSubmitter Submitter { get; }

    /// <summary>Downloads give up only when the broker goes silent (<see cref="OutputFetcher.Idle"/>).</summary>
    public OutputFetcher Fetcher { get; }

    public static Option<string> BrokerOption() => new("--broker")
    {
        Description = "the broker (default $MFLEET_BROKER or " + DefaultBroker + ")",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MFLEET_BROKER") is { Length: > 0 } broker ? broker : DefaultBroker,
    };

    public static ConvertSession Open(ParseResult parse, Option<string> broker, Option<string?> token)
    {
        var url = parse.GetValue(broker)!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--broker '{url}' is not an http URL such as {DefaultBroker}", ExitCodes.Usage);
        }
        var cluster = Common.Cluster(parse, token);
        var file = ClientStore.DefaultFile();
        ClientStore store;
        try
        {
            store = ClientStore.Open(file, TimeProvider.System);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            throw new CliException($"the client store {file} cannot be opened: {e.Message}");
        }
        return new ConvertSession(url, cluster.Create(uri, CallTimeout), cluster.Create(uri), store, TimeProvider.System);
    }

    /// <summary>The line for a broker that did not answer: why, and since when (its last answer to this client).</summary>
    public string SilenceLine(SyncResult result)
    {
        var since = result.Contact.AnsweredAt is { } at
            ? $"has not answered since {Clock(at)} ({Ago(Time.GetUtcNow() - at)})"
            : "has not answered this client yet";
        return $"the broker {Url} {since}: {result.Reason}; showing the last known states";
    }

    public static string Clock(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Ago(TimeSpan span) => span.TotalSeconds < 1
        ? "just now"
        : span.TotalSeconds < 120 ? $"{span.TotalSeconds:0} s ago" : span.TotalMinutes < 120 ? $"{span.TotalMinutes:0} min ago" : span.TotalHours < 48 ? $"{span.TotalHours:0} h ago" : $"{span.TotalDays:0} days ago";

    public void Dispose()
    {
        _calls.Dispose();
        _transfers.Dispose();
        Store.Dispose();
    }
}
