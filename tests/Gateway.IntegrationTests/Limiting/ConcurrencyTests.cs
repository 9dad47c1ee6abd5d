using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Limiting;

/// <summary>Many parallel clients on one key through the real gateway: never more than the limit, and the upstream agrees.</summary>
public sealed class ConcurrencyTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public ConcurrencyTests(GatewayFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task ParallelClients_OneKey_AdmitExactlyTheLimit()
    {
        // pro: 50 a minute; 64 clients x 4 requests, all at once, on a clock that does not move.
        var token = TestTokens.Create("parallel-user", "pro");
        const string path = "/api/orders/parallel";
        using var start = new SemaphoreSlim(0);
        var clients = Enumerable.Range(0, 64).Select(async _ =>
        {
            await start.WaitAsync();
            return await _fixture.Gateway.Client.SendManyAsync(path, token, 4);
        }).ToList();
        start.Release(64);
        var statuses = (await Task.WhenAll(clients)).SelectMany(s => s).ToList();

        Assert.Equal(256, statuses.Count);
        Assert.Equal(50, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(206, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(50, _fixture.Upstream.Counter.ForPath(path));
    }
}
