using System.Net;

namespace MediaFleet.Hosting;

/// <summary>The URL rules every role's settings share.</summary>
public static class RoleUrls
{
    /// <summary>An absolute http or https URL (an upstream, a coordinator, a broker).</summary>
    public static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    /// <summary>A URL a role can listen on: http(s), no path, and an IP address, <c>localhost</c>, <c>*</c> or <c>+</c>.</summary>
    public static bool IsListenUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"
        && (uri.Host is "localhost" or "*" or "+" || IPAddress.TryParse(uri.Host.Trim('[', ']'), out _));
}
