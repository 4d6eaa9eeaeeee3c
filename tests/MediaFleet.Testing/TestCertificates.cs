using System.Diagnostics;

namespace MediaFleet.Testing;

/// <summary>
/// A private CA and a server certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1) made with openssl in a temp
/// folder, plus a second CA that signed nothing the servers use (a client trusting only it must refuse them).
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly TempFolder _folder;
    private int _issued;

    private TestCertificates(TempFolder folder) => _folder = folder;

    /// <summary>The CA that signed the servers' certificates (PEM).</summary>
    public string CaFile => _folder.Combine("ca.pem");

    /// <summary>A CA that signed none of them (PEM).</summary>
    public string OtherCaFile => _folder.Combine("other-ca.pem");

    /// <summary>The servers' certificate (PEM): rewritten in place by <see cref="RenewAsync"/>.</summary>
    public string Certificate => _folder.Combine("server.pem");

    public string Key => _folder.Combine("server.key");

    /// <summary>Settings that make a role serve https with this certificate and trust only this CA.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Tls:Certificate"] = Certificate,
        ["Tls:Key"] = Key,
        ["Tls:CaFile"] = CaFile,
    };

    public static async Task<TestCertificates> CreateAsync()
    {
        var certificates = new TestCertificates(new TempFolder("mfleet-tls-"));
        await certificates.MakeCaAsync("ca", "MediaFleet Test CA");
        await certificates.MakeCaAsync("other-ca", "Someone Else's CA");
        await certificates.RenewAsync();
        return certificates;
    }

    /// <summary>Issues a fresh server certificate and key from the CA and writes them over the served files; returns the new serial (hex).</summary>
    public async Task<string> RenewAsync()
    {
        var n = ++_issued;
        var key = _folder.Combine($"server{n}.key");
        var request = _folder.Combine($"server{n}.csr");
        var certificate = _folder.Combine($"server{n}.pem");
        var extensions = _folder.Combine("server.ext");
        await File.WriteAllTextAsync(extensions, "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        await OpenSslAsync("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1");
        var serial = Convert.ToHexString(Guid.NewGuid().ToByteArray()[..8]).TrimStart('0');
        await OpenSslAsync("x509", "-req", "-in", request, "-CA", CaFile, "-CAkey", _folder.Combine("ca.key"), "-set_serial", "0x" + serial,
            "-days", "2", "-extfile", extensions, "-out", certificate);
        // Written over the served files as a renewal would (key first: a reader may see a new key with the old certificate).
        File.Copy(key, Key, overwrite: true);
        File.Copy(certificate, Certificate, overwrite: true);
        return serial;
    }

    private Task MakeCaAsync(string name, string subject) =>
        OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", _folder.Combine(name + ".key"),
            "-out", _folder.Combine(name + ".pem"), "-days", "2", "-subj", "/CN=" + subject,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");

    private static async Task OpenSslAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {arguments[0]} failed: {await error}");
        }
    }

    public void Dispose() => _folder.Dispose();
}
