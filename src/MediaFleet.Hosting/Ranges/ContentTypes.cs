using Microsoft.AspNetCore.StaticFiles;

namespace MediaFleet.Hosting;

/// <summary>Content-Type by extension: ASP.NET's table plus the media types a media library holds.</summary>
public static class ContentTypes
{
    private static readonly FileExtensionContentTypeProvider Provider = Create();

    public static string Of(string path) =>
        Provider.TryGetContentType(path, out var type) ? type : "application/octet-stream";

    private static FileExtensionContentTypeProvider Create()
    {
        var provider = new FileExtensionContentTypeProvider();
        provider.Mappings[".mkv"] = "video/x-matroska";
        provider.Mappings[".mka"] = "audio/x-matroska";
        provider.Mappings[".webm"] = "video/webm";
        provider.Mappings[".webp"] = "image/webp";
        provider.Mappings[".opus"] = "audio/ogg";
        provider.Mappings[".flac"] = "audio/flac";
        provider.Mappings[".m4a"] = "audio/mp4";
        provider.Mappings[".srt"] = "application/x-subrip";
        return provider;
    }
}
