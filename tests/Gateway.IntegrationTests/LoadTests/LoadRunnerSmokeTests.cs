using Gateway.IntegrationTests.Infrastructure;
using Gateway.LoadTests;

namespace Gateway.IntegrationTests.LoadTests;

/// <summary>
/// The load-test runner, for a second, against an in-process gateway: every request is accounted for (sent = 2xx +
/// 429 + other + errors), the limit shows as 429s, and the report is written. Seconds, not minutes.
/// </summary>
public sealed class LoadRunnerSmokeTests
{
    [Fact]
    public async Task SteadyOpenLoop_AccountsForEveryRequest_AndWritesTheReport()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address));
        var token = TestTokens.Create("load-" + Guid.NewGuid().ToString("N"), "free");
        var reports = Directory.CreateTempSubdirectory("gateway-load-").FullName;
        var shape = LoadShape.OpenLoop(rate: 50, TimeSpan.FromSeconds(1));

        var statistics = await LoadRunner.RunAsync(gateway.Client, _ => Request("/api/orders/1", token), shape, CancellationToken.None);
        var report = MarkdownReport.Write(reports, "steady", shape, statistics, DateTimeOffset.UtcNow);

        Assert.Equal(statistics.Sent, statistics.Success + statistics.Limited + statistics.OtherStatus + statistics.Errors);
        Assert.InRange(statistics.Sent, 1, 50);
        // Free tier on orders: 5 per minute on the gateway's fake clock, which does not move here.
        Assert.Equal(Math.Min(5, statistics.Sent), statistics.Success);
        Assert.Equal(0, statistics.OtherStatus + statistics.Errors);
        Assert.Equal(statistics.Success, upstream.Counter.ForPath("/api/orders/1"));
        Assert.Contains($"| {statistics.Sent} | {statistics.Success} | {statistics.Limited} | 0 | 0 |", await File.ReadAllTextAsync(report), StringComparison.Ordinal);
        Directory.Delete(reports, recursive: true);
    }

    [Fact]
    public async Task ClosedLoop_StopsAtItsRequestBound()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address));

        var statistics = await LoadRunner.RunAsync(gateway.Client, _ => Request("/api/open/x", token: null), LoadShape.ClosedLoop(4, TimeSpan.FromSeconds(30), maxRequests: 200), CancellationToken.None);

        Assert.Equal(200, statistics.Sent);
        Assert.Equal(200, statistics.Success);
    }

    [Fact]
    public void Runner_RefusesTargetsOffThisMachine() =>
        Assert.Throws<ArgumentException>(() => LoopbackGuard.Ensure(new Uri("http://example.com/")));

    private static HttpRequestMessage Request(string path, string? token)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            message.Headers.Authorization = new("Bearer", token);
        }

        return message;
    }
}
