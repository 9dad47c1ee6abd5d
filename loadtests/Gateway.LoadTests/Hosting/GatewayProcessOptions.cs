namespace Gateway.LoadTests.Hosting;

/// <summary>How one gateway process of a fleet is configured: its store, leases, and any further configuration keys.</summary>
public sealed record GatewayProcessOptions(string Name, bool Redis, bool Leases = true)
{
    /// <summary>
    /// The Redis key prefix: instances with the same prefix share counters (one fleet behind a load balancer);
    /// different prefixes keep configurations that are compared side by side apart.
    /// </summary>
    public string KeyPrefix { get; init; } = "load:";

    /// <summary>Extra configuration, as keys and values (<c>ReverseProxy:Routes:bench:Metadata:RateLimitPolicy</c> = "").</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
