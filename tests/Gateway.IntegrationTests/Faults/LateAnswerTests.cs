using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.IntegrationTests.Distributed;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage.Redis;
using Gateway.LoadTests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.IntegrationTests.Faults;

/// <summary>
/// A Redis that pauses (<c>CLIENT PAUSE</c>) while it has been punctual: a short pause is waited out (a grace of three
/// more deadlines after the 50 ms one) and the request is decided by Redis; a long one sends the request to its
/// failure mode at the end of the grace, and the call's late answer then pays for that admission, so Redis counts it
/// exactly once. Exact mode, default settings, a private redis-server.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class LateAnswerTests
{
    [Fact]
    public async Task ShortPause_WhileRedisWasPunctual_IsWaitedOut_AndDecidedByRedis()
    {
        await using var redis = await RedisProcess.CreateAsync();
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await StartAsync(redis, upstream);
        var (path, token) = Subject();
        await WarmAsync(gateway);

        Assert.Equal("+OK", await redis.CommandAsync("CLIENT", "PAUSE", "100"));
        using var response = await gateway.Client.GetAsync(path, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The call was late (the breaker counted it), yet no decision was made without Redis.
        Assert.True(Breaker(gateway).RecentCalls.Failures >= 1, "the call was not late: the pause came too late to test anything");
        Assert.Equal(0, await FailureModeDecisionsAsync(gateway));
    }

    [Fact]
    public async Task LongPause_RequestGoesToItsFailureMode_AndTheLateAnswerPaysForIt()
    {
        await using var redis = await RedisProcess.CreateAsync();
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await StartAsync(redis, upstream);
        var (path, token) = Subject();
        await WarmAsync(gateway);

        Assert.Equal("+OK", await redis.CommandAsync("CLIENT", "PAUSE", "1500"));
        var clock = Stopwatch.StartNew();
        using var response = await gateway.Client.GetAsync(path, token);
        var waited = clock.Elapsed;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await FailureModeDecisionsAsync(gateway));
        Assert.True(waited < TimeSpan.FromSeconds(1), $"the request waited {waited.TotalMilliseconds:F0} ms, past deadline and grace");

        // When the pause ends the call lands: the permit it took is the one the fallback admission used (here the
        // reconciler had already added that admission to Redis, so the late answer gives its permit back). Either way
        // Redis ends up counting the request exactly once, and nothing is left to reconcile on top.
        var ledger = gateway.Services.GetRequiredService<FallbackLedger>();
        var counter = $"{RedisTestServers.KeyPrefix}{{late|u:{path["/api/late/".Length..]}}}:fw:3600000000";
        var database = gateway.Services.GetRequiredService<RedisConnection>().Database;
        await Task.Delay(TimeSpan.FromMilliseconds(1500) - clock.Elapsed + TimeSpan.FromMilliseconds(200));
        await Eventually.HoldsAsync(async () => (long)await database.HashGetAsync(counter, "c") == 1 && ledger.PendingPermits == 0, "Redis counts the request once");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, (long)await database.HashGetAsync(counter, "c"));
        Assert.Equal(0, ledger.PendingPermits);
    }

    private static (string Path, string Token) Subject()
    {
        var subject = "late-" + Guid.NewGuid().ToString("N");
        return ("/api/late/" + subject, TestTokens.Create(subject, "free"));
    }

    private static async Task<GatewayInstance> StartAsync(RedisProcess redis, UpstreamServer upstream) => await GatewayInstance.StartAsync(
        GatewayConfig.Default(upstream.Address)
            .WithRedis(redis.Address)
            .WithPolicyRoute("late", """[ { "Algorithm": "FixedWindow", "Limit": 1000, "Window": "1h" } ]""", leases: false));

    /// <summary>Ready, and a few decisions made, so the calls under test are not the first of the process.</summary>
    private static async Task WarmAsync(GatewayInstance gateway)
    {
        var subject = "warm-" + Guid.NewGuid().ToString("N");
        var statuses = await gateway.Client.SendManyAsync("/api/late/" + subject, TestTokens.Create(subject, "free"), 5);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(0, Breaker(gateway).RecentCalls.Failures);
    }

    private static StoreCircuitBreaker Breaker(GatewayInstance gateway) => gateway.Services.GetRequiredService<RedisConnection>().Breaker;

    private static async Task<long> FailureModeDecisionsAsync(GatewayInstance gateway)
    {
        using var ready = await gateway.Client.GetAsync("/readyz");
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("store").GetProperty("failureModeDecisions").GetInt64();
    }
}
