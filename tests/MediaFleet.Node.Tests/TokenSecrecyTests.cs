using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using MediaFleet.Contracts.Client;
using MediaFleet.Contracts.Problems;
using MediaFleet.Contracts.Tls;
using MediaFleet.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace MediaFleet.Node.Tests;

/// <summary>The cluster token never shows in logs, metrics, status or problem documents (DESIGN.md section 4).</summary>
public sealed class TokenSecrecyTests
{
    [Fact]
    public async Task TokenFromFile_Works_AndShowsNowhere_WhileWrongTokensAreLoggedWithTheAddress()
    {
        using var folder = new TempFolder("mfleet-secret-");
        var token = "s3cret-" + Guid.NewGuid().ToString("N");
        var tokenFile = folder.Combine("token");
        await File.WriteAllTextAsync(tokenFile, token + "\n");
        var logs = new CapturedLogs();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Node:Data"] = folder.Combine("lib"),
            ["Node:Primary"] = "true",
            ["Node:Listen"] = "http://127.0.0.1:0",
            ["Node:ReserveBytes"] = "0",
            ["Auth:TokenFile"] = tokenFile,
        }).Build();
        await using var app = await NodeApp.BuildAsync(configuration, logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddFilter("Microsoft", LogLevel.Trace);
            logging.AddProvider(logs);
        });
        await app.StartAsync();
        var url = new Uri(NodeApp.BoundUrls(app)[0]);
        using var http = new ClusterHttp(token, ClientTls.System).Create(url);
        using var anonymous = new HttpClient { BaseAddress = url };
        using var wrong = new HttpClient { BaseAddress = url };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "guess-1");

        // The token read from the file is the cluster token (its trailing newline is not part of it).
        await using (var body = new MemoryStream(new byte[100]))
        {
            var (_, created) = await new NodeClient(http).PutFileAsync("a.mkv", body, body.Length, null, CancellationToken.None);
            Assert.True(created);
        }

        var answers = new List<string>();
        foreach (var (client, method, path, status) in new (HttpClient, HttpMethod, string, HttpStatusCode)[]
        {
            (wrong, HttpMethod.Delete, "files/a.mkv", HttpStatusCode.Forbidden),
            (wrong, HttpMethod.Get, "v1/changes?since=0", HttpStatusCode.Forbidden),
            (anonymous, HttpMethod.Delete, "files/a.mkv", HttpStatusCode.Unauthorized),
            (http, HttpMethod.Get, "files/none.mkv", HttpStatusCode.NotFound),
            (http, HttpMethod.Get, "v1/no-such-route", HttpStatusCode.NotFound),
            (http, HttpMethod.Get, "v1/status", HttpStatusCode.OK),
            (http, HttpMethod.Get, "v1/missing", HttpStatusCode.OK),
            (http, HttpMethod.Get, "metrics", HttpStatusCode.OK),
        })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, path));
            Assert.Equal(status, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            Assert.NotEmpty(text);
            answers.Add(text);
        }
        await app.StopAsync();

        Assert.All(answers, text => Assert.DoesNotContain(token, text, StringComparison.Ordinal));
        Assert.Contains(answers, text => text.Contains(ProblemTypes.Uri(ProblemTypes.Forbidden), StringComparison.Ordinal));
        Assert.NotEmpty(logs.Lines);
        Assert.All(logs.Lines, line => Assert.DoesNotContain(token, line, StringComparison.Ordinal));
        // Two wrong tokens within a minute from one address: one line.
        Assert.Single(logs.Lines, line => line.StartsWith("Wrong cluster token from 127.0.0.1: 1 time(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TokenGivenOnTheCommandLine_IsWarnedAbout_WithoutShowingIt()
    {
        using var folder = new TempFolder("mfleet-secret-");
        var logs = new CapturedLogs();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Node:Data"] = folder.Combine("lib"),
            ["Node:Primary"] = "true",
            ["Node:Listen"] = "http://127.0.0.1:0",
            ["Auth:Token"] = TestNode.Token,
            ["Auth:TokenOnCommandLine"] = "true",
        }).Build();
        await using var app = await NodeApp.BuildAsync(configuration, logging => logging.AddProvider(logs));

        await app.StartAsync();
        await app.StopAsync();

        Assert.Contains(logs.Lines, line => line.Contains("--token", StringComparison.Ordinal) && line.Contains("shows in ps", StringComparison.Ordinal));
        Assert.All(logs.Lines, line => Assert.DoesNotContain(TestNode.Token, line, StringComparison.Ordinal));
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => [.. _lines];

        public ILogger CreateLogger(string categoryName) => new Logger(_lines);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception) + (exception is null ? "" : " " + exception));
        }
    }
}
