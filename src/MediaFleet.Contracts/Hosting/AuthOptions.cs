using Microsoft.Extensions.Configuration;

namespace MediaFleet.Contracts.Hosting;

/// <summary>The <c>Auth</c> section: the shared cluster token (DESIGN.md section 4).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The cluster token; also read from <c>MFLEET_TOKEN</c>.</summary>
    public string? Token { get; set; }

    /// <summary>Reads need the token too (default: reads are open, as nginx serving the folder would be).</summary>
    public bool ProtectReads { get; set; }

    /// <summary>Run without any token (<c>--insecure-no-auth</c>): for a laptop, never for a network.</summary>
    public bool InsecureNoAuth { get; set; }

    public static AuthOptions From(IConfiguration configuration)
    {
        var options = new AuthOptions();
        configuration.GetSection(Section).Bind(options);
        if (string.IsNullOrEmpty(options.Token))
        {
            // MFLEET_TOKEN arrives as the root key TOKEN through the MFLEET_ environment prefix.
            options.Token = configuration["TOKEN"];
        }
        return options;
    }

    public IReadOnlyList<string> Validate() =>
        string.IsNullOrEmpty(Token) && !InsecureNoAuth
            ? ["no cluster token: set MFLEET_TOKEN (or Auth:Token, --token), or pass --insecure-no-auth for a test on one machine"]
            : [];
}

/// <summary>Settings that fail validation at start-up; the message is one plain line for the operator.</summary>
public sealed class InvalidSettingsException(IReadOnlyList<string> errors) : Exception(string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
