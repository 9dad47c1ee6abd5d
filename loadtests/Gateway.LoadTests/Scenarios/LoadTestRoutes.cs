namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// The route and tiers the scenarios load, defined in <c>appsettings/appsettings.LoadTest.json</c> (overlay
/// <c>LoadTest</c>): <c>/load/...</c>, policy <c>load</c>, tiers free (fixed window 20 per 10 s), pro (sliding window
/// 100 per 10 s), enterprise (token bucket 50/s, burst 100) and metered (fixed window 200 per 10 s). Scenarios read
/// the limits they check from the RateLimit-Policy field of the responses, not from here. The overlay's <c>bench</c>
/// route (<c>/bench/...</c>, limits nobody reaches) serves the comparison and the warm-up's allow path.
/// </summary>
public static class LoadTestRoutes
{
    public const string Overlay = "LoadTest";

    public static string Path(string subject) => $"/load/{subject}";

    /// <summary>A path on the overlay's <c>bench</c> route, whose limits no load here reaches: the allow path.</summary>
    public static string AllowPath(string subject) => $"/bench/{subject}";
}
