using System.Collections.Concurrent;
using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Hardening;

/// <summary>
/// A flood of distinct anonymous callers (as a botnet behind a CDN would be) is just that many first requests: each
/// admitted on a budget of its own, none failing. The memory bound on partitions is unit-tested; this is the end to end
/// path, store included, under concurrency.
/// </summary>
public sealed class AnonymousFloodTests : IClassFixture<KnownProxyGatewayFixture>
{
    private const int Callers = 5000;
    private const int Concurrency = 16;

    private readonly KnownProxyGatewayFixture _fixture;

    public AnonymousFloodTests(KnownProxyGatewayFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task FiveThousandDistinctForwardedClients_AreEachAdmitted_Never5xx()
    {
        var before = _fixture.Upstream.Counter.Total;
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var next = -1;

        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < Callers)
            {
                using var response = await _fixture.Gateway.Client.GetAsync("/api/orders/flood", token: null,
                    r => r.Headers.Add("X-Forwarded-For", Client(n)));
                statuses.Add(response.StatusCode);
            }
        }));

        Assert.Equal(Callers, statuses.Count);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(Callers, _fixture.Upstream.Counter.Total - before);

        // Afterwards budgets still hold: a flooded caller has the two it did not use, and no more.
        var again = await _fixture.Gateway.Client.SendManyAsync("/api/orders/flood", token: null, 3,
            r => r.Headers.Add("X-Forwarded-For", Client(0)));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], again);
    }

    /// <summary>Caller n: even ones from 10.100.0.0/16, odd ones each from a /64 of their own.</summary>
    private static string Client(int n) =>
        n % 2 == 0 ? $"10.100.{n >> 9}.{(n >> 1) & 255}" : $"2001:db8:100:{n:x}::1";
}
