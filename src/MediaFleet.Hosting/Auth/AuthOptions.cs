using Microsoft.Extensions.Configuration;

namespace MediaFleet.Hosting;

/// <summary>The <c>Auth</c> section: the shared cluster token (DESIGN.md section 4).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The cluster token; also read from <c>MFLEET_TOKEN</c>.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the cluster token (<c>--token-file</c>, env <c>MFLEET_TOKEN_FILE</c>): kept out of ps and unit files.</summary>
    public string? TokenFile { get; set; }

    /// <summary>Set by the command line when the token came from <c>--token</c>, which ps shows to every user: the role warns.</summary>
    public bool TokenOnCommandLine { get; set; }

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
        options.TokenFile ??= configuration["TOKEN_FILE"];
        if (options.TokenFile is not null)
        {
            if (!string.IsNullOrEmpty(options.Token))
            {
                options._fileError = "give the cluster token once: a token file (--token-file, Auth:TokenFile) or the token itself, not both";
            }
            else
            {
                try
                {
                    // A trailing newline (echo, editors) is not part of the token.
                    options.Token = File.ReadAllText(options.TokenFile).Trim();
                    options._fileError = options.Token.Length == 0 ? $"token file '{options.TokenFile}' is empty" : null;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    options._fileError = $"token file '{options.TokenFile}' cannot be read: {e.Message}";
                }
            }
        }
        return options;
    }

    private string? _fileError;

    public IReadOnlyList<string> Validate()
    {
        if (_fileError is not null)
        {
            return [_fileError];
        }
        return string.IsNullOrEmpty(Token) && !InsecureNoAuth
            ? ["no cluster token: set MFLEET_TOKEN (or --token-file F, Auth:TokenFile, Auth:Token), or pass --insecure-no-auth for a test on one machine"]
            : [];
    }
}
