using Gateway.Hosting;
using Gateway.Limiting.Policies;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Support;

/// <summary>In-memory configurations for <see cref="RateLimitingSettingsReader"/>.</summary>
internal static class Config
{
    /// <summary>A valid configuration: one route on policy "orders" with free and pro tiers, and an override for alice.</summary>
    public static Dictionary<string, string?> Valid() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["ReverseProxy:Routes:r1:ClusterId"] = "backend",
        ["ReverseProxy:Routes:r1:Match:Path"] = "/api/orders/{**rest}",
        ["ReverseProxy:Routes:r1:Metadata:RateLimitPolicy"] = "orders",
        ["ReverseProxy:Routes:plain:ClusterId"] = "backend",
        ["ReverseProxy:Routes:plain:Match:Path"] = "/api/status",
        ["RateLimiting:Store:Kind"] = "InMemory",
        ["RateLimiting:Identity:DefaultTier"] = "free",
        ["RateLimiting:Policies:orders:Tiers:free:0:Algorithm"] = "TokenBucket",
        ["RateLimiting:Policies:orders:Tiers:free:0:Limit"] = "5",
        ["RateLimiting:Policies:orders:Tiers:free:0:Window"] = "1s",
        ["RateLimiting:Policies:orders:Tiers:free:0:Burst"] = "10",
        ["RateLimiting:Policies:orders:Tiers:free:1:Algorithm"] = "FixedWindow",
        ["RateLimiting:Policies:orders:Tiers:free:1:Limit"] = "1000",
        ["RateLimiting:Policies:orders:Tiers:free:1:Window"] = "1d",
        ["RateLimiting:Policies:orders:Tiers:pro:0:Algorithm"] = "SlidingWindow",
        ["RateLimiting:Policies:orders:Tiers:pro:0:Limit"] = "100",
        ["RateLimiting:Policies:orders:Tiers:pro:0:Window"] = "1s",
        ["RateLimiting:Overrides:alice:orders:0:Algorithm"] = "FixedWindow",
        ["RateLimiting:Overrides:alice:orders:0:Limit"] = "50",
        ["RateLimiting:Overrides:alice:orders:0:Window"] = "1m",
    };

    public static RateLimitingSettings Read(IDictionary<string, string?> values) =>
        RateLimitingSettingsReader.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    /// <summary>Reads a configuration that must be refused; returns the exception.</summary>
    public static GatewayConfigurationException ReadInvalid(IDictionary<string, string?> values) =>
        Assert.Throws<GatewayConfigurationException>(() => Read(values));

    /// <summary>Asserts that one error names <paramref name="key"/> and says <paramref name="problem"/>, and that the message carries it.</summary>
    public static void AssertError(GatewayConfigurationException exception, string key, string problem)
    {
        Assert.Contains(exception.Errors, e => e.StartsWith(key + ": ", StringComparison.Ordinal) && e.Contains(problem, StringComparison.Ordinal));
        Assert.Contains(key + ": ", exception.Message, StringComparison.Ordinal);
    }
}
