namespace Gateway.LoadTests.Hosting;

/// <summary>How one gateway process of a fleet is configured: its store, leases, and any further configuration keys.</summary>
public sealed record GatewayProcessOptions(string Name, bool Redis, bool Leases = true)
{
    /// <summary>Extra configuration, as keys and values (<c>ReverseProxy:Routes:bench:Metadata:RateLimitPolicy</c> = "").</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
