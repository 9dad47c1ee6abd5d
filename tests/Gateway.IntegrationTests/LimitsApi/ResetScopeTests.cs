using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// Which counters a reset clears, on one in-memory gateway with a fresh fake clock per test (the global policy's
/// bucket is shared by everyone, so these tests must not share it). README: "clears a subject's counters (every
/// per-subject policy, or ?policy=; a global policy only when named)".
/// </summary>
public sealed class ResetScopeTests : FreshGatewayTest
{
    [Fact]
    public async Task Reset_WithoutPolicy_LeavesGlobalPolicyCountersAlone()
    {
        // export: one bucket for everyone (Scope Global), burst 4, refilling 1/s on a clock that does not move.
        var statuses = await Gateway.Client.SendManyAsync("/api/export/all", TestTokens.Create("exporter", "free"), 5);
        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.OK));

        // Resetting one subject must not hand the whole world a fresh global budget.
        using var reset = await Gateway.Client.ResetAsync("alice");
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        var cleared = (await reset.JsonAsync())["reset"]!.AsArray().Select(p => (string?)p).ToList();

        Assert.DoesNotContain("export", cleared);
        Assert.Contains("orders", cleared);
        using var after = await Gateway.Client.GetAsync("/api/export/all", TestTokens.Create("someone-else", "free"));
        Assert.Equal(HttpStatusCode.TooManyRequests, after.StatusCode);
    }

    [Fact]
    public async Task Reset_NamingTheGlobalPolicy_ClearsItsBucket()
    {
        var statuses = await Gateway.Client.SendManyAsync("/api/export/all", TestTokens.Create("exporter", "free"), 5);
        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.OK));

        using var reset = await Gateway.Client.ResetAsync("alice", policy: "export");
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);

        var after = await Gateway.Client.SendManyAsync("/api/export/all", TestTokens.Create("someone-else", "free"), 5);
        Assert.Equal(4, after.Count(s => s == HttpStatusCode.OK));
    }

    [Fact]
    public async Task Reset_OfOnePolicy_ClearsOnlyThatPolicyOfThatSubject()
    {
        var token = TestTokens.Create("reset-one", "free");
        var bystander = TestTokens.Create("reset-bystander", "free");
        Assert.Equal(5, (await Gateway.Client.SendManyAsync("/api/orders/a", token, 6)).Count(s => s == HttpStatusCode.OK));
        Assert.Equal(5, (await Gateway.Client.SendManyAsync("/api/search/a", token, 6)).Count(s => s == HttpStatusCode.OK));
        Assert.Equal(5, (await Gateway.Client.SendManyAsync("/api/orders/b", bystander, 6)).Count(s => s == HttpStatusCode.OK));

        using var reset = await Gateway.Client.ResetAsync("reset-one", policy: "orders");
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(["orders"], (await reset.JsonAsync())["reset"]!.AsArray().Select(p => (string?)p));

        // The whole minute again for orders (5); search (cost 2, 10/min) and the other subject stay spent.
        Assert.Equal(5, (await Gateway.Client.SendManyAsync("/api/orders/a", token, 6)).Count(s => s == HttpStatusCode.OK));
        using var search = await Gateway.Client.GetAsync("/api/search/a", token);
        Assert.Equal(HttpStatusCode.TooManyRequests, search.StatusCode);
        using var other = await Gateway.Client.GetAsync("/api/orders/b", bystander);
        Assert.Equal(HttpStatusCode.TooManyRequests, other.StatusCode);
    }
}
