namespace MediaFleet.Contracts.Problems;

/// <summary>Settings that fail validation at start-up; the message is one plain line for the operator.</summary>
public sealed class InvalidSettingsException(IReadOnlyList<string> errors) : Exception(string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
