using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.LoadTests.Hosting;

namespace Gateway.IntegrationTests.LoadTests;

/// <summary>
/// The load scenarios' route and policies (<c>/load/...</c>, policy <c>load</c>; also <c>/bench/...</c>) from the real
/// <c>appsettings/appsettings.LoadTest.json</c>, merged into a test gateway's config: the smoke tests run the scenarios
/// against the limits the load runner uses, not a copy that could drift from them.
/// </summary>
public static class LoadTestOverlay
{
    // Read once: every test merges the same file. The overlay has comments, as appsettings files may.
    private static readonly Lazy<JsonObject> Overlay = new(() =>
    {
        var path = Path.Combine(RepositoryLayout.Find().AppSettings, "appsettings.LoadTest.json");
        return JsonNode.Parse(
            File.ReadAllText(path),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
    });

    /// <summary>Adds the overlay's <c>ReverseProxy:Routes</c> and <c>RateLimiting:Policies</c> (same names are replaced).</summary>
    public static JsonObject WithLoadTestOverlay(this JsonObject config)
    {
        Merge(Overlay.Value["ReverseProxy"]!["Routes"]!.AsObject(), config["ReverseProxy"]!["Routes"]!.AsObject());
        Merge(Overlay.Value["RateLimiting"]!["Policies"]!.AsObject(), config["RateLimiting"]!["Policies"]!.AsObject());
        return config;
    }

    private static void Merge(JsonObject from, JsonObject into)
    {
        foreach (var (name, value) in from)
        {
            // Cloned: a node has one parent, and the cached overlay is merged into many configs.
            into[name] = value?.DeepClone();
        }
    }
}
