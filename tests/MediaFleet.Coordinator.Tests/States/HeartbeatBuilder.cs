using MediaFleet.Coordinator.States;

namespace MediaFleet.Coordinator.Tests.States;

/// <summary>Heartbeats for tests: a healthy, non-primary server heard just now unless told otherwise.</summary>
internal static class HeartbeatBuilder
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 17, 0, 0, TimeSpan.Zero);

    public static Heartbeat Beat(
        string id = "b",
        double load = 0.3,
        long version = 15,
        bool primary = false,
        bool forceDown = false,
        bool forceBackup = false,
        TimeSpan? age = null) =>
        new(
            Id: id,
            Address: $"10.0.0.{id.Length}:8470",
            Url: $"http://10.0.0.{id.Length}:8470",
            Load: load,
            Version: version,
            SeenVersion: version,
            Primary: primary,
            ForceDown: forceDown,
            ForceBackup: forceBackup,
            Site: "home",
            Missing: 0,
            FreeBytes: 1_000_000,
            SentAt: Now - (age ?? TimeSpan.Zero),
            ReceivedAt: Now - (age ?? TimeSpan.Zero));
}
