using MediaFleet.Hosting;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Cli.Doctor;

/// <summary>The cluster token: set, and kept in a file other users cannot read (DESIGN.md section 4).</summary>
internal static class TokenCheck
{
    public const string Name = "token";

    /// <param name="auth">The <c>Auth</c> settings as the role reads them (file, environment, flags).</param>
    /// <param name="configFile">The <c>--config</c> file, when given.</param>
    /// <param name="fromFile">That file's settings alone, to tell whether the token is written in it.</param>
    public static Finding Check(AuthOptions auth, string? configFile, IConfiguration fromFile)
    {
        if (auth.Validate() is [var problem, ..])
        {
            return Finding.Fail(Name, problem);
        }
        if (string.IsNullOrEmpty(auth.Token))
        {
            return Finding.Warn(Name, "none: auth is off (--insecure-no-auth); anyone who reaches a port may write and delete files");
        }
        // File modes are Unix's; MediaFleet's servers are Linux machines.
        var holder = auth.TokenFile ?? (configFile is not null && !string.IsNullOrEmpty(fromFile[$"{AuthOptions.Section}:Token"]) ? configFile : null);
        if (holder is not null && !OperatingSystem.IsWindows())
        {
            return Judgements.Secrecy(Name, Path.GetFullPath(holder), File.GetUnixFileMode(holder));
        }
        return Finding.Ok(Name, "set, from the environment (MFLEET_TOKEN): keep the file that sets it (an EnvironmentFile) mode 600");
    }
}
