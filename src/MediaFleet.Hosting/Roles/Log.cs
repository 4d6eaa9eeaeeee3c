using Microsoft.Extensions.Logging;

namespace MediaFleet.Hosting;

/// <summary>Log messages of what every role shares (auth, TLS, systemd); event ids 4000–4099.</summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Warning, "Wrong cluster token from {Address}: {Count} time(s) since the last report")]
    public static partial void WrongToken(ILogger logger, string address, int count);

    [LoggerMessage(4001, LogLevel.Warning, "The cluster token was given with --token, so it shows in ps: use --token-file F or MFLEET_TOKEN")]
    public static partial void TokenOnCommandLine(ILogger logger);

    [LoggerMessage(4010, LogLevel.Information, "TLS certificate reloaded from {File}: {Subject}, valid until {NotAfter:u}")]
    public static partial void CertificateReloaded(ILogger logger, string file, string subject, DateTime notAfter);

    [LoggerMessage(4011, LogLevel.Warning, "TLS certificate {File} changed but does not load: {Reason}; still serving the previous one")]
    public static partial void CertificateReloadFailed(ILogger logger, string file, string reason);

    [LoggerMessage(4020, LogLevel.Warning, "Cannot tell the service manager {State} (NOTIFY_SOCKET): {Reason}")]
    public static partial void NotifyFailed(ILogger logger, string state, string reason);
}
