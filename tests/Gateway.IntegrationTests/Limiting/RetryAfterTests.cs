using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Limiting;

/// <summary>Retry-After means what it says: one second earlier is still refused, at the stated time it is admitted.</summary>
public sealed class RetryAfterTests : FreshGatewayTest
{
    [Fact]
    public async Task FixedWindow_RetryAfter_PointsAtWindowEnd()
    {
        var token = TestTokens.Create("retry-fixed", "free");
        // 10.25 s into the minute: the 1m window ends in 49.75 s, so Retry-After is 50.
        Gateway.Clock.Advance(TimeSpan.FromMilliseconds(10_250));
        await Gateway.Client.SendManyAsync("/api/orders/a", token, 5);

        using var refused = await Gateway.Client.GetAsync("/api/orders/a", token);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("50", refused.Header("Retry-After"));

        Gateway.Clock.Advance(TimeSpan.FromSeconds(49));
        using var early = await Gateway.Client.GetAsync("/api/orders/a", token);
        Assert.Equal(HttpStatusCode.TooManyRequests, early.StatusCode);

        Gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        using var onTime = await Gateway.Client.GetAsync("/api/orders/a", token);
        Assert.Equal(HttpStatusCode.OK, onTime.StatusCode);
    }

    [Fact]
    public async Task TokenBucket_RetryAfter_PointsAtNextToken()
    {
        var token = TestTokens.Create("retry-bucket", "free");
        // Global bucket: 1 token per second, burst 4.
        await Gateway.Client.SendManyAsync("/api/export/x", token, 4);

        using var refused = await Gateway.Client.GetAsync("/api/export/x", token);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1", refused.Header("Retry-After"));

        Gateway.Clock.Advance(TimeSpan.FromMilliseconds(999));
        using var early = await Gateway.Client.GetAsync("/api/export/x", token);
        Assert.Equal(HttpStatusCode.TooManyRequests, early.StatusCode);

        Gateway.Clock.Advance(TimeSpan.FromMilliseconds(1));
        using var onTime = await Gateway.Client.GetAsync("/api/export/x", token);
        Assert.Equal(HttpStatusCode.OK, onTime.StatusCode);
        Assert.Equal(5, Upstream.Counter.ForPath("/api/export/x"));
    }

    [Fact]
    public async Task MultipleRules_RetryAfter_WaitsForTheLastRuleToAdmit()
    {
        var token = TestTokens.Create("retry-daily", "free");
        // Spend the daily 20 over four minutes (5 a minute), then the minute rule and the day rule both refuse.
        for (var minute = 0; minute < 4; minute++)
        {
            var statuses = await Gateway.Client.SendManyAsync("/api/orders/d", token, 5);
            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
            Gateway.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        using var refused = await Gateway.Client.GetAsync("/api/orders/d", token);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        // The clock is 4 minutes into the UTC day: the daily window ends in 23h56m.
        Assert.Equal(((24 * 60) - 4) * 60, long.Parse(refused.Header("Retry-After")!));
        Assert.Contains("\"orders-1d\";r=0", refused.Header("RateLimit"));
        Assert.Equal("20", refused.Header("X-RateLimit-Limit"));
    }
}
