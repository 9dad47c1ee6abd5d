using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Gateway.Hosting;

/// <summary>
/// Loads the gateway's configuration from the repository's <c>appsettings/</c> folder (the config users edit)
/// instead of the project folder: <c>appsettings.json</c>, then <c>appsettings.{Environment}.json</c>, then each
/// overlay named in <c>Gateway:Overlays</c> (e.g. <c>Demo</c> loads <c>appsettings.Demo.json</c>). Environment
/// variables and the command line still override all of them. Every file is watched for changes.
/// </summary>
public static class AppSettingsLocation
{
    public const string DirectoryKey = "Gateway:AppSettingsDirectory";
    public const string OverlaysKey = "Gateway:Overlays";
    private const string FolderName = "appsettings";
    private const string BaseFile = "appsettings.json";

    public static void AddGatewayAppSettings(this ConfigurationManager configuration, IHostEnvironment environment)
    {
        var directory = Resolve(configuration[DirectoryKey], environment.ContentRootPath);
        var files = new List<(string File, bool Optional)> { (BaseFile, false), ($"appsettings.{environment.EnvironmentName}.json", true) };
        foreach (var overlay in (configuration[OverlaysKey] ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            files.Add(($"appsettings.{overlay}.json", false));
            if (!File.Exists(Path.Combine(directory, $"appsettings.{overlay}.json")))
            {
                throw new GatewayConfigurationException($"{OverlaysKey}: overlay '{overlay}' has no file {Path.Combine(directory, $"appsettings.{overlay}.json")}");
            }
        }

        var fileProvider = new PhysicalFileProvider(directory);
        var sources = files.Select(f => (IConfigurationSource)new JsonConfigurationSource
        {
            FileProvider = fileProvider,
            Path = f.File,
            Optional = f.Optional,
            ReloadOnChange = true,
        }).ToList();

        // Put ours where the host's default JSON files sit, so environment variables and arguments keep precedence.
        var defaults = configuration.Sources
            .Select((source, index) => (source, index))
            .Where(s => s.source is JsonConfigurationSource json && json.Path is { } p && p.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase))
            .Select(s => s.index)
            .ToList();
        var insertAt = defaults.Count > 0 ? defaults[0] : 0;
        for (var i = defaults.Count - 1; i >= 0; i--)
        {
            configuration.Sources.RemoveAt(defaults[i]);
        }

        for (var i = 0; i < sources.Count; i++)
        {
            configuration.Sources.Insert(insertAt + i, sources[i]);
        }
    }

    /// <summary>The configured folder, else the first <c>appsettings/</c> with an <c>appsettings.json</c> above the working directory or the content root.</summary>
    public static string Resolve(string? configured, string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var full = Path.GetFullPath(configured);
            return File.Exists(Path.Combine(full, BaseFile))
                ? full
                : throw new GatewayConfigurationException($"{DirectoryKey}: no {BaseFile} in '{full}'");
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), contentRoot, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, FolderName);
                if (File.Exists(Path.Combine(candidate, BaseFile)))
                {
                    return candidate;
                }
            }
        }

        throw new GatewayConfigurationException(
            $"{DirectoryKey}: no {FolderName}/{BaseFile} found above '{Directory.GetCurrentDirectory()}'; set {DirectoryKey} (env Gateway__AppSettingsDirectory)");
    }
}
