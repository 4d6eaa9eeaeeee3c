using Microsoft.Extensions.Configuration;

namespace MediaFleet.Contracts.Tls;

/// <summary>The <c>Tls</c> section (DESIGN.md section 4): the certificate a role serves and the CAs its clients trust.</summary>
public sealed class TlsOptions
{
    public const string Section = "Tls";

    /// <summary>PEM certificate (with its chain, e.g. certbot's fullchain.pem) for https:// listen URLs; re-read when it changes.</summary>
    public string? Certificate { get; set; }

    /// <summary>PEM private key of <see cref="Certificate"/>.</summary>
    public string? Key { get; set; }

    /// <summary>PEM bundle of the CAs to trust instead of the system store (a private cluster CA).</summary>
    public string? CaFile { get; set; }

    /// <summary>Send the token over plain http to public addresses too (<c>--insecure-http</c>); off: it would travel readable.</summary>
    public bool AllowInsecureHttp { get; set; }

    public static TlsOptions From(IConfiguration configuration)
    {
        var options = new TlsOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    /// <summary>Every problem with these settings for a role listening on <paramref name="listenUrls"/>, one plain line each.</summary>
    public IReadOnlyList<string> Validate(IEnumerable<string> listenUrls)
    {
        var errors = new List<string>();
        if ((Certificate is null) != (Key is null))
        {
            errors.Add("Tls:Certificate (--tls-cert) and Tls:Key (--tls-key) go together: give both or neither");
        }
        foreach (var (file, name) in (ReadOnlySpan<(string?, string)>)[(Certificate, "Tls:Certificate (--tls-cert)"), (Key, "Tls:Key (--tls-key)"), (CaFile, "Tls:CaFile (--ca-file)")])
        {
            if (file is not null && !File.Exists(file))
            {
                errors.Add($"{name} '{file}': no such file");
            }
        }
        foreach (var url in listenUrls)
        {
            if (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && Certificate is null)
            {
                errors.Add($"'{url}' is https: give its certificate and key with --tls-cert F --tls-key F (Tls:Certificate, Tls:Key)");
            }
        }
        return errors;
    }
}
