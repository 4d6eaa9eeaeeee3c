using MediaFleet.Contracts.Problems;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MediaFleet.Contracts.Tls;

/// <summary>
/// How every client side checks the servers it calls: against the system store, or only against the CAs of
/// <c>Tls:CaFile</c> (a private cluster CA) when one is given; host names and IP addresses are checked either way.
/// </summary>
public sealed class ClientTls
{
    // Value and name both given: Oid(string) alone asks OpenSSL whether the string is a name, and loading and starting
    // OpenSSL took 11 ms of every role's start (issue 12), even one that never speaks TLS.
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    private readonly X509Certificate2Collection? _roots;

    private ClientTls(X509Certificate2Collection? roots, bool allowInsecureHttp)
    {
        _roots = roots;
        AllowInsecureHttp = allowInsecureHttp;
    }

    /// <summary>The system store, no plain http to public addresses.</summary>
    public static ClientTls System { get; } = new(null, allowInsecureHttp: false);

    /// <summary>May the token travel over plain http to any address (<c>--insecure-http</c>).</summary>
    public bool AllowInsecureHttp { get; }

    /// <summary>The client side of <paramref name="options"/>; a CA file that does not load stops the start with one line.</summary>
    public static ClientTls From(TlsOptions options)
    {
        if (options.CaFile is null)
        {
            return options.AllowInsecureHttp ? new ClientTls(null, true) : System;
        }
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(options.CaFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidSettingsException([$"Tls:CaFile (--ca-file) '{options.CaFile}' does not load: {e.Message}"]);
        }
        if (roots.Count == 0)
        {
            throw new InvalidSettingsException([$"Tls:CaFile (--ca-file) '{options.CaFile}' holds no PEM certificate"]);
        }
        return new ClientTls(roots, options.AllowInsecureHttp);
    }

    /// <summary>A handler that verifies servers as this object says; <paramref name="configure"/> sets the rest.</summary>
    public SocketsHttpHandler CreateHandler(Action<SocketsHttpHandler>? configure = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = ValidationCallback;
        configure?.Invoke(handler);
        return handler;
    }

    /// <summary>How a TLS client checks the server: null for the system store's default checks, else against the CA file.</summary>
    internal RemoteCertificateValidationCallback? ValidationCallback => _roots is null ? null : ValidateAgainstRoots;

    private bool ValidateAgainstRoots(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        // A wrong name or no certificate fails whatever the roots; only the chain is judged anew, against our CAs alone.
        if (certificate is not X509Certificate2 presented || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots!);
        // A private CA publishes no revocation lists.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        if (chain is not null)
        {
            // The intermediates the server sent along.
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return custom.Build(presented);
    }
}
