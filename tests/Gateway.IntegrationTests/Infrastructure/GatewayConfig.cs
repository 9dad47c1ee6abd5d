using System.Text.Json.Nodes;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>Builds the appsettings.json of a gateway under test, pointed at a test upstream.</summary>
public static class GatewayConfig
{
    /// <summary>
    /// Routes: /api/orders (policy orders), /api/search (policy search, cost 2), /api/export (global policy),
    /// /api/secure (requires a token), /api/members (anonymous rejected), /api/open (no limit).
    /// Tiers: anonymous (3/min), free (5/min + 20/day), pro (50/min).
    /// </summary>
    public static JsonObject Default(Uri upstream)
    {
        var config = JsonNode.Parse($$"""
        {
          "Serilog": { "MinimumLevel": { "Default": "Warning" } },
          "ReverseProxy": {
            "Routes": {
              "orders": { "ClusterId": "backend", "Match": { "Path": "/api/orders/{**rest}" }, "Metadata": { "RateLimitPolicy": "orders" } },
              "search": { "ClusterId": "backend", "Match": { "Path": "/api/search/{**rest}" }, "Metadata": { "RateLimitPolicy": "search", "RateLimitCost": "2" } },
              "export": { "ClusterId": "backend", "Match": { "Path": "/api/export/{**rest}" }, "Metadata": { "RateLimitPolicy": "export" } },
              "secure": { "ClusterId": "backend", "AuthorizationPolicy": "default", "Match": { "Path": "/api/secure/{**rest}" }, "Metadata": { "RateLimitPolicy": "orders" } },
              "members": { "ClusterId": "backend", "Match": { "Path": "/api/members/{**rest}" }, "Metadata": { "RateLimitPolicy": "members" } },
              "open": { "ClusterId": "backend", "Match": { "Path": "/api/open/{**rest}" } }
            },
            "Clusters": { "backend": { "Destinations": { "d1": { "Address": "{{upstream}}" } } } }
          },
          "Authentication": { "Schemes": { "Bearer": {
            "ValidIssuer": "{{TestTokens.Issuer}}",
            "ValidAudiences": [ "{{TestTokens.Audience}}" ],
            "SigningKeys": [ { "Issuer": "{{TestTokens.Issuer}}", "Value": "{{TestTokens.SymmetricKeyBase64}}" } ],
            "PublicKeys": [ {{System.Text.Json.JsonSerializer.Serialize(TestTokens.RsaPublicKeyPem)}} ],
            "ClockSkew": "5s"
          } } },
          "RateLimiting": {
            "Identity": { "DefaultTier": "free", "AnonymousTier": "anonymous" },
            "Policies": {
              "orders": { "Tiers": {
                "anonymous": [ { "Algorithm": "FixedWindow", "Limit": 3, "Window": "1m" } ],
                "free": [ { "Algorithm": "FixedWindow", "Limit": 5, "Window": "1m" }, { "Algorithm": "FixedWindow", "Limit": 20, "Window": "1d" } ],
                "pro": [ { "Algorithm": "FixedWindow", "Limit": 50, "Window": "1m" } ]
              } },
              "search": { "Tiers": {
                "free": [ { "Algorithm": "SlidingWindow", "Limit": 10, "Window": "1m" } ],
                "pro": [ { "Algorithm": "SlidingWindow", "Limit": 100, "Window": "1m" } ]
              } },
              "export": { "Scope": "Global", "Tiers": {
                "free": [ { "Algorithm": "TokenBucket", "Limit": 1, "Window": "1s", "Burst": 4 } ]
              } },
              "members": { "Anonymous": "Reject", "Tiers": {
                "free": [ { "Algorithm": "FixedWindow", "Limit": 100, "Window": "1m" } ]
              } }
            },
            "Overrides": {
              "contract-customer": { "orders": [ { "Algorithm": "FixedWindow", "Limit": 8, "Window": "1m" } ] }
            }
          }
        }
        """)!.AsObject();
        return config;
    }

    /// <summary>Points the gateway at a test Redis, with the test key prefix.</summary>
    public static JsonObject WithRedis(this JsonObject config, string redisConfiguration)
    {
        config["RateLimiting"]!["Store"] = new JsonObject
        {
            ["Kind"] = "Redis",
            // The default deadline and breaker, as users get them: a test that passed only with more time would hide
            // what they see.
            ["Redis"] = new JsonObject { ["Configuration"] = redisConfiguration, ["KeyPrefix"] = RedisTestServers.KeyPrefix },
        };
        return config;
    }

    /// <summary>Adds a route <c>/api/{name}/...</c> limited by a new policy <paramref name="name"/> with the given free-tier rules.</summary>
    public static JsonObject WithPolicyRoute(this JsonObject config, string name, string rulesJson, bool leases = true)
    {
        config["ReverseProxy"]!["Routes"]![name] = JsonNode.Parse(
            $$"""{ "ClusterId": "backend", "Match": { "Path": "/api/{{name}}/{**rest}" }, "Metadata": { "RateLimitPolicy": "{{name}}" } }""");
        config["RateLimiting"]!["Policies"]![name] = JsonNode.Parse($$"""{ "Leases": {{(leases ? "true" : "false")}}, "Tiers": { "free": {{rulesJson}} } }""");
        return config;
    }

    /// <summary>Sets <c>RateLimiting:Store:Leases</c> (after <see cref="WithRedis"/>).</summary>
    public static JsonObject WithLeases(this JsonObject config, string leasesJson)
    {
        config["RateLimiting"]!["Store"]!["Leases"] = JsonNode.Parse(leasesJson);
        return config;
    }
}
