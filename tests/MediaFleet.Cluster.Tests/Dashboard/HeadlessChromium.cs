using MediaFleet.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace MediaFleet.Cluster.Tests.Dashboard;

/// <summary>
/// Debian's chromium, headless, driven through Debian's chromium-driver (both given by path, so Selenium Manager has
/// nothing to look up and never reaches for the network), with its profile in the test's folder. Disposing it quits
/// the browser and chromedriver and checks, by the pids found under chromedriver's own, that none is left running.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Browser = "/usr/bin/chromium";
    public const string Driver = "/usr/bin/chromedriver";

    private readonly ChromeDriverService _service;
    private bool _disposed;

    private HeadlessChromium(ChromeDriverService service, ChromeDriver driver)
    {
        _service = service;
        WebDriver = driver;
    }

    public ChromeDriver WebDriver { get; }

    /// <summary>Starts the browser with a window of <paramref name="width"/> × <paramref name="height"/> CSS pixels.</summary>
    public static HeadlessChromium Start(TempFolder folder, int width = 1280, int height = 1000)
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            $"--user-data-dir={folder.Combine("chromium-profile")}", $"--window-size={width},{height}");
        // The console, as chromedriver collects it, for the "no errors" checks.
        options.SetLoggingPreference(LogType.Browser, OpenQA.Selenium.LogLevel.All);
        ChromeDriver? driver = null;
        try
        {
            driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
            return new HeadlessChromium(service, driver);
        }
        catch
        {
            driver?.Quit();
            service.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="script"/> in the page and returns its value (numbers come back as long or double).</summary>
    public object? Run(string script, params object[] args) => WebDriver.ExecuteScript(script, args);

    /// <summary>The text of the element <paramref name="selector"/> matches, or null when there is none.</summary>
    public string? TextOf(string selector) => Run("const e = document.querySelector(arguments[0]); return e === null ? null : e.textContent;", selector) as string;

    /// <summary>
    /// Shows pages as a phone of <paramref name="width"/> × <paramref name="height"/> CSS pixels would (a touch screen,
    /// mobile viewport rules); a window alone cannot be made that narrow, chromium keeps it at least 500 px wide.
    /// </summary>
    public void EmulatePhone(int width, int height) =>
        WebDriver.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?>
        {
            ["width"] = width,
            ["height"] = height,
            ["deviceScaleFactor"] = 2,
            ["mobile"] = true,
        });

    /// <summary>Console entries at SEVERE (errors, failed loads, policy violations) since the last call.</summary>
    public IReadOnlyList<string> SevereConsoleEntries() =>
        [.. WebDriver.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level == OpenQA.Selenium.LogLevel.Severe).Select(e => e.Message)];

    /// <summary>Writes a PNG of the viewport to <paramref name="path"/>.</summary>
    public void Screenshot(string path) => WebDriver.GetScreenshot().SaveAsFile(path);

    /// <summary>Every process under chromedriver now: chromium and its helpers.</summary>
    private List<int> Descendants()
    {
        var found = new List<int>();
        var queue = new Queue<int>([_service.ProcessId]);
        while (queue.TryDequeue(out var pid))
        {
            foreach (var child in ProcFs.Children(pid))
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }
        return found;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        List<int> pids = [_service.ProcessId, .. Descendants()];
        try
        {
            WebDriver.Quit();
        }
        finally
        {
            WebDriver.Dispose();
            _service.Dispose();
        }
        await ProcFs.AllGoneAsync(pids, TimeSpan.FromSeconds(30));
    }
}
