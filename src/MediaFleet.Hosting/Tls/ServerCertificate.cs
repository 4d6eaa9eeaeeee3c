using MediaFleet.Contracts.Problems;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaFleet.Hosting;

/// <summary>
/// The PEM certificate and key a role serves, re-read when either file changes (a certbot renewal) so the next new
/// connection gets the new certificate without a restart. A file that cannot be read keeps the last good certificate.
/// </summary>
public sealed class ServerCertificate
{
    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly Lock _gate = new();
    private SslStreamCertificateContext _context;
    private (FileStamp Certificate, FileStamp Key) _stamps;

    private ServerCertificate(string certificateFile, string keyFile, SslStreamCertificateContext context, (FileStamp, FileStamp) stamps)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        _context = context;
        _stamps = stamps;
    }

    /// <summary>Where reloads are reported; set once the host's logging exists.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Loads the pair now; a start-up with files that do not load stops with one clear line.</summary>
    public static ServerCertificate Load(string certificateFile, string keyFile)
    {
        var stamps = (FileStamp.Of(certificateFile), FileStamp.Of(keyFile));
        try
        {
            return new ServerCertificate(certificateFile, keyFile, Read(certificateFile, keyFile), stamps);
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            throw new InvalidSettingsException([$"TLS certificate '{certificateFile}' with key '{keyFile}' does not load: {e.Message}"]);
        }
    }

    /// <summary>
    /// The certificate (with its chain) for a new connection. Costs two stats of each file per TLS handshake, which
    /// is small beside the handshake itself.
    /// </summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            var stamps = (FileStamp.Of(_certificateFile), FileStamp.Of(_keyFile));
            if (stamps == _stamps)
            {
                return _context;
            }
            lock (_gate)
            {
                if (stamps != _stamps)
                {
                    // Remembered before trying, so a half-written pair is tried again only once a file changes again.
                    _stamps = stamps;
                    try
                    {
                        _context = Read(_certificateFile, _keyFile);
                        Log.CertificateReloaded(Logger, _certificateFile, _context.TargetCertificate.Subject, _context.TargetCertificate.NotAfter);
                    }
                    catch (Exception e) when (e is CryptographicException or IOException or ArgumentException or UnauthorizedAccessException)
                    {
                        Log.CertificateReloadFailed(Logger, _certificateFile, e.Message);
                    }
                }
                return _context;
            }
        }
    }

    private static SslStreamCertificateContext Read(string certificateFile, string keyFile)
    {
        var leaf = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        // The certificates after the first one (fullchain.pem) are intermediates to send along.
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certificateFile);
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all.Skip(1))
        {
            intermediates.Add(certificate);
        }
        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    /// <summary>What says a file changed: the file a symlink ends at (certbot swaps links), its time and length.</summary>
    private readonly record struct FileStamp(string Path, DateTime Modified, long Length)
    {
        public static FileStamp Of(string path)
        {
            try
            {
                var file = new FileInfo(path);
                if (file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
                {
                    file = target;
                }
                return file.Exists ? new FileStamp(file.FullName, file.LastWriteTimeUtc, file.Length) : default;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return default;
            }
        }
    }
}
