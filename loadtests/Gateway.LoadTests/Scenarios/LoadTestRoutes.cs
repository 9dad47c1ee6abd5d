namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// The route and tiers the scenarios load, defined in <c>appsettings/appsettings.LoadTest.json</c> (overlay
/// <c>LoadTest</c>): <c>/load/...</c>, policy <c>load</c>, tiers free (fixed window 20 per 10 s), pro (sliding window
/// 100 per 10 s), enterprise (token bucket 50/s, burst 100) and metered (fixed window 200 per 10 s). Scenarios read
/// the limits they check from the RateLimit-Policy field of the responses, not from here.
/// </summary>
public static class LoadTestRoutes
{
    public const string Overlay = "LoadTest";

    public static string Path(string subject) => $"/load/{subject}";
}
