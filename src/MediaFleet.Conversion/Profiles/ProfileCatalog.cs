using System.Text.RegularExpressions;
using MediaFleet.Contracts.Conversion;
using MediaFleet.Hosting.Processes;
using Microsoft.Extensions.Configuration;

namespace MediaFleet.Conversion.Profiles;

/// <summary>
/// The profiles of <c>Broker:Profiles:&lt;name&gt;</c> = <c>{media, extension, args, description}</c> laid over the
/// nine defaults: a new name adds a profile, a default's name overrides the fields it gives. <c>args</c> is one
/// string of words (quotes group, as in a command setting) or an array of words.
/// </summary>
public sealed partial class ProfileCatalog
{
    public const string Section = "Broker:Profiles";

    private static readonly string[] Fields = ["media", "extension", "args", "description"];

    private readonly Dictionary<string, ConversionProfile> _profiles;

    private ProfileCatalog(Dictionary<string, ConversionProfile> profiles, IReadOnlyList<string> errors)
    {
        _profiles = profiles;
        Errors = errors;
    }

    /// <summary>Every problem with the profiles, one plain line each (empty when valid); call at start-up.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>The valid profiles, by name.</summary>
    public IReadOnlyCollection<ConversionProfile> Profiles => _profiles.Values;

    /// <summary>The defaults alone.</summary>
    public static ProfileCatalog Defaults { get; } = From(new ConfigurationBuilder().Build());

    /// <summary>Reads <c>Broker:Profiles</c> over the defaults; problems go to <see cref="Errors"/>, not exceptions.</summary>
    public static ProfileCatalog From(IConfiguration configuration)
    {
        var raw = DefaultProfiles.All.ToDictionary(
            p => p.Name,
            p => new Dictionary<string, object?> { ["media"] = p.Media, ["extension"] = p.Extension, ["args"] = p.Args, ["description"] = p.Description },
            StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var section in configuration.GetSection(Section).GetChildren())
        {
            var where = $"{Section}:{section.Key}";
            if (!NamePattern().IsMatch(section.Key))
            {
                errors.Add($"{where}: a profile name is 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
                continue;
            }
            if (!raw.TryGetValue(section.Key, out var fields))
            {
                raw[section.Key] = fields = new Dictionary<string, object?>();
            }
            foreach (var field in section.GetChildren())
            {
                var name = Fields.FirstOrDefault(f => string.Equals(f, field.Key, StringComparison.OrdinalIgnoreCase));
                if (name is null)
                {
                    errors.Add($"{where}:{field.Key} is not a profile setting (media, extension, args, description)");
                }
                else if (name == "args" && field.Value is null)
                {
                    fields[name] = field.GetChildren().Select(word => word.Value ?? "").ToList();
                }
                else
                {
                    fields[name] = field.Value;
                }
            }
        }
        var profiles = new Dictionary<string, ConversionProfile>(StringComparer.Ordinal);
        foreach (var (name, fields) in raw.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (Validate(name, fields, errors) is { } profile)
            {
                profiles[name] = profile;
            }
        }
        return new ProfileCatalog(profiles, errors);
    }

    public bool TryGet(string name, out ConversionProfile profile) => _profiles.TryGetValue(name, out profile!);

    /// <summary>The answer of <c>GET /v1/profiles</c>, by name.</summary>
    public IReadOnlyList<ProfileDto> ToDtos() =>
        [.. _profiles.Values.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new ProfileDto(p.Name, p.MediaName, p.Extension, p.Description))];

    private static ConversionProfile? Validate(string name, Dictionary<string, object?> fields, List<string> errors)
    {
        var where = $"{Section}:{name}";
        var before = errors.Count;
        var mediaText = fields.GetValueOrDefault("media") as string;
        if (!MediaNames.TryParse(mediaText, out var media))
        {
            errors.Add(string.IsNullOrWhiteSpace(mediaText)
                ? $"{where}:media is missing: video, audio or image"
                : $"{where}:media '{mediaText}' is not video, audio or image");
        }
        var extension = (fields.GetValueOrDefault("extension") as string)?.Trim() ?? "";
        if (!ExtensionPattern().IsMatch(extension))
        {
            errors.Add(extension.Length == 0
                ? $"{where}:extension is empty: it names the output's container, such as mkv or mp4"
                : $"{where}:extension '{extension}' is not 1 to 16 letters or digits without a dot, such as mkv or mp4");
        }
        IReadOnlyList<string> arguments = [];
        switch (fields.GetValueOrDefault("args"))
        {
            case List<string> words:
                arguments = words;
                break;
            case string text:
                try
                {
                    arguments = CommandWords.Split(text);
                }
                catch (FormatException)
                {
                    errors.Add($"{where}:args has a quote that is not closed");
                }
                break;
        }
        // The broker names input and output; a profile's own would write elsewhere or read another file.
        if (arguments.FirstOrDefault(a => a is "-i" or "-y" or "-n" or "-progress") is { } owned)
        {
            errors.Add($"{where}:args may not hold {owned}: the worker gives input, output and progress");
        }
        var description = (fields.GetValueOrDefault("description") as string)?.Trim();
        if (errors.Count > before)
        {
            return null;
        }
        return new ConversionProfile(name, media, extension, arguments,
            string.IsNullOrEmpty(description) ? $"{MediaNames.Of(media)} to .{extension}" : description);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9]{1,16}$")]
    private static partial Regex ExtensionPattern();
}
