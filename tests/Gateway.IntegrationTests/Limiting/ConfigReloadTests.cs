using System.Net;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Policies;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.IntegrationTests.Limiting;

/// <summary>Editing appsettings.json changes a running gateway: policies mid-window, routes; a bad edit changes nothing.</summary>
public sealed class ConfigReloadTests : FreshGatewayTest
{
    [Fact]
    public async Task PolicyEdit_ChangesLimitMidWindow_KeepingTheSpentCount()
    {
        var token = TestTokens.Create("reload-user", "free");
        var spent = await Gateway.Client.SendManyAsync("/api/orders/r", token, 6);
        Assert.Equal(5, spent.Count(s => s == HttpStatusCode.OK));

        var config = GatewayConfig.Default(Upstream.Address);
        config["RateLimiting"]!["Policies"]!["orders"]!["Tiers"]!["free"]![0]!["Limit"] = 8;
        await Gateway.RewriteConfigAsync(config);
        await Eventually.HoldsAsync(
            () => Settings.Current.Policies["orders"].Tiers["free"].Rules[0].Limit == 8,
            "the edited limit is in force");

        // Same minute: 5 already spent, so exactly 3 more fit under the new limit of 8.
        var after = await Gateway.Client.SendManyAsync("/api/orders/r", token, 5);
        Assert.Equal(3, after.Count(s => s == HttpStatusCode.OK));
        using var response = await Gateway.Client.GetAsync("/api/orders/r", token);
        Assert.StartsWith("\"orders-1m\";q=8;w=60", response.Header("RateLimit-Policy"));
    }

    [Fact]
    public async Task BadPolicyEdit_IsRefused_AndThePreviousConfigKeepsServing()
    {
        var attempts = Settings.ReloadAttempts;
        var config = GatewayConfig.Default(Upstream.Address);
        config["RateLimiting"]!["Policies"]!["orders"]!["Tiers"]!["free"]![0]!["Limit"] = 0;
        await Gateway.RewriteConfigAsync(config);
        await Eventually.HoldsAsync(() => Settings.ReloadAttempts > attempts && Settings.LastReloadError is not null, "the bad edit is processed");

        Assert.Contains("RateLimiting:Policies:orders:Tiers:free:0:Limit", Settings.LastReloadError);
        var statuses = await Gateway.Client.SendManyAsync("/api/orders/bad-edit", TestTokens.Create("bad-edit-user", "free"), 6);
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
    }

    [Fact]
    public async Task RouteEdit_AddsALimitedRouteWithoutRestart()
    {
        var config = GatewayConfig.Default(Upstream.Address);
        config["ReverseProxy"]!["Routes"]!["invoices"] = JsonNode.Parse("""
            { "ClusterId": "backend", "Match": { "Path": "/api/invoices/{**rest}" }, "Metadata": { "RateLimitPolicy": "invoices" } }
            """);
        config["RateLimiting"]!["Policies"]!["invoices"] = JsonNode.Parse("""
            { "Tiers": { "free": [ { "Algorithm": "FixedWindow", "Limit": 2, "Window": "1h" } ] } }
            """);
        await Gateway.RewriteConfigAsync(config);

        var token = TestTokens.Create("invoice-user", "free");
        await Eventually.HoldsAsync(
            async () =>
            {
                using var probe = await Gateway.Client.GetAsync("/api/invoices/probe", token);
                return probe.StatusCode == HttpStatusCode.OK;
            },
            "the new route serves");

        var statuses = await Gateway.Client.SendManyAsync("/api/invoices/x", token, 3);
        // The probe took one of the two permits of the hour.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    private RateLimitingSettingsProvider Settings => Gateway.Services.GetRequiredService<RateLimitingSettingsProvider>();
}
