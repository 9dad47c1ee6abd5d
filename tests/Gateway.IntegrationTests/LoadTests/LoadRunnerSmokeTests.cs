using Gateway.IntegrationTests.Infrastructure;
using Gateway.LoadTests.Running;

namespace Gateway.IntegrationTests.LoadTests;

/// <summary>
/// The load runner itself, for a second, against an in-process gateway: every request is accounted for (sent = 2xx +
/// 429 + other + errors) in total, per group and per second; the limit shows as 429s. Seconds, not minutes.
/// </summary>
public sealed class LoadRunnerSmokeTests
{
    [Fact]
    public async Task OpenLoop_AccountsForEveryRequest_InTotalPerGroupAndPerSecond()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address));
        var limited = TestTokens.Create("load-" + Guid.NewGuid().ToString("N"), "free");
        var step = new LoadStep("steady", LoadShape.OpenLoop(rate: 50, TimeSpan.FromSeconds(1)), n =>
            n % 2 == 0 ? new RequestSpec(0, "/api/orders/1", limited, Group: 0) : new RequestSpec(0, "/api/open/x", null, Group: 1))
        {
            Groups = ["limited", "open"],
        };

        var statistics = await LoadRunner.RunAsync([gateway.Client], step, CancellationToken.None);

        Assert.Equal(50, statistics.Sent);
        Assert.Equal(statistics.Sent, statistics.Success + statistics.Limited + statistics.OtherStatus + statistics.Errors);
        // Free tier on orders: 5 per minute on the gateway's fake clock, which does not move here.
        Assert.Equal(5, statistics.Group("limited").Success);
        Assert.Equal(20, statistics.Group("limited").Limited);
        Assert.Equal(25, statistics.Group("open").Success);
        Assert.Equal(statistics.Sent, statistics.Timeline.Sum(s => s.Completed));
        Assert.Equal(30, upstream.Counter.Total);
    }

    [Fact]
    public async Task ClosedLoop_StopsAtItsRequestBound()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address));
        var step = new LoadStep("closed", LoadShape.ClosedLoop(4, TimeSpan.FromSeconds(30), maxRequests: 200), _ => new RequestSpec(0, "/api/open/x", null));

        var statistics = await LoadRunner.RunAsync([gateway.Client], step, CancellationToken.None);

        Assert.Equal(200, statistics.Sent);
        Assert.Equal(200, statistics.Success);
    }

    [Fact]
    public void RampedRate_SchedulesTheRateIntegral()
    {
        var ramp = LoadShape.Ramp(0, 100, TimeSpan.FromSeconds(10));

        Assert.Equal(500, ramp.MaxRequests);
        // Rate t·10/s: the n-th request is due when 5·t² = n.
        Assert.Equal(TimeSpan.FromSeconds(2), ramp.IntendedStart(20));
        Assert.Equal(TimeSpan.FromSeconds(0.5), LoadShape.OpenLoop(200, TimeSpan.FromSeconds(1)).IntendedStart(100));
    }

    [Fact]
    public void Runner_RefusesTargetsOffThisMachine() =>
        Assert.Throws<ArgumentException>(() => LoopbackGuard.Ensure(new Uri("http://example.com/")));
}
