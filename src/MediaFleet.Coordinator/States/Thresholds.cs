namespace MediaFleet.Coordinator.States;

/// <summary>Loads above which a server becomes <c>backup</c> or <c>down</c> (DESIGN.md section 6).</summary>
internal readonly record struct Thresholds(double Backup, double Down)
{
    /// <summary>In force before any threshold line of the nginx file.</summary>
    public static Thresholds Default { get; } = new(0.7, 1.5);
}
