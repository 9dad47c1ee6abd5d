namespace Gateway.Health;

/// <summary>
/// <c>gateway healthcheck [url]</c>: exits 0 when <c>/healthz</c> answers 200, else 1. For container health checks:
/// the ASP.NET runtime image has no curl, and the gateway binary is already there.
/// </summary>
public static class HealthProbeCommand
{
    public const string Name = "healthcheck";

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == Name;

    public static async Task<int> RunAsync(string[] args)
    {
        var url = args.Length > 1 ? args[1] : "http://127.0.0.1:8080" + HealthEndpoints.LivenessPath;
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            using var response = await client.GetAsync(new Uri(url));
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            await Console.Error.WriteLineAsync($"healthcheck {url}: {e.Message}");
            return 1;
        }
    }
}
