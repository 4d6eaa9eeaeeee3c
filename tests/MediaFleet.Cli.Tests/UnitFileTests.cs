using MediaFleet.Testing;

namespace MediaFleet.Cli.Tests;

/// <summary>The systemd units in deploy/systemd: one per role, each passing <c>systemd-analyze verify</c>.</summary>
public sealed class UnitFileTests
{
    public static TheoryData<string> Roles() => ["node", "coordinator", "broker", "worker"];

    [Fact]
    public void Deploy_HasAUnitForEveryRole_AndNoOther()
    {
        var units = Directory.GetFiles(Repository.Combine("deploy", "systemd"), "*.service").Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(["mfleet-broker.service", "mfleet-coordinator.service", "mfleet-node.service", "mfleet-worker.service"], units);
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task Unit_RunsTheRoleAsANotifyServiceOfUserMfleet_AndPassesVerify(string role)
    {
        var text = await File.ReadAllTextAsync(Repository.Combine("deploy", "systemd", $"mfleet-{role}.service"));
        using var folder = new TempFolder("mfleet-unit-");

        var problems = await VerifyAsync(folder, $"mfleet-{role}.service", text);

        Assert.Empty(problems);
        foreach (var line in (string[])[
            $"ExecStart=/usr/bin/mfleet {role} --config /etc/mfleet/{role}.json", "Type=notify", "User=mfleet", "Group=mfleet",
            "LoadCredential=token:/etc/mfleet/token", "Environment=MFLEET_TOKEN_FILE=%d/token", "WatchdogSec=30s", "Restart=on-failure",
            "ProtectSystem=strict", "ReadWritePaths=/var/lib/mfleet", "StateDirectory=mfleet", "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes",
            "LimitNOFILE=65536", "WantedBy=multi-user.target"])
        {
            Assert.Contains(line, text.Split('\n'));
        }
    }

    [Fact]
    public async Task Verify_ReportsAMisspelledKeyAndABadValue()
    {
        // systemd-analyze exits 0 on an unknown key or a value it cannot parse (it only warns): the check reads its output.
        var text = await File.ReadAllTextAsync(Repository.Combine("deploy", "systemd", "mfleet-node.service"));
        using var folder = new TempFolder("mfleet-unit-");

        var misspelled = await VerifyAsync(folder, "mfleet-node.service", text.Replace("\nProtectHome=yes\n", "\nProtectHom=yes\n", StringComparison.Ordinal));
        var badValue = await VerifyAsync(folder, "mfleet-node.service", text.Replace("\nType=notify\n", "\nType=notfy\n", StringComparison.Ordinal));

        Assert.Contains(misspelled, p => p.Contains("Unknown key 'ProtectHom'", StringComparison.Ordinal));
        Assert.Contains(badValue, p => p.Contains("notfy", StringComparison.Ordinal));
    }

    /// <summary>
    /// Runs <c>systemd-analyze verify</c> on a copy of the unit and returns what it said about it. verify also checks
    /// that ExecStart's program exists and is executable, and /usr/bin/mfleet exists only where the package is
    /// installed: the copy starts this build's mfleet instead (through a link in the test's folder, whose path has no
    /// spaces); nothing else changes. Lines about other units (this machine's own) are not the unit's problems.
    /// </summary>
    private static async Task<IReadOnlyList<string>> VerifyAsync(TempFolder folder, string name, string text)
    {
        var program = folder.Combine("mfleet");
        if (!File.Exists(program))
        {
            File.CreateSymbolicLink(program, Path.Combine(AppContext.BaseDirectory, "mfleet"));
        }
        Assert.Contains("\nExecStart=/usr/bin/mfleet ", text, StringComparison.Ordinal);
        var copy = folder.Combine(name);
        await File.WriteAllTextAsync(copy, text.Replace("\nExecStart=/usr/bin/mfleet ", $"\nExecStart={program} ", StringComparison.Ordinal));

        var (exitCode, output, error) = await Repository.RunAsync("systemd-analyze", ["verify", "--recursive-errors=no", copy], TimeSpan.FromSeconds(60));

        var problems = (output + "\n" + error).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(name, StringComparison.Ordinal)).ToList();
        if (exitCode != 0)
        {
            problems.Add($"systemd-analyze verify exited {exitCode}: {error}");
        }
        return problems;
    }
}
