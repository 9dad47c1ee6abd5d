using System.Globalization;
using System.Net;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.IntegrationTests.Distributed;

/// <summary>What a lease costs Redis and what happens to its unused permits, on one real gateway and real Redis.</summary>
[Collection(DistributedCollection.Name)]
public sealed class LeaseLifecycleTests
{
    [Fact]
    public async Task ExhaustedKey_IsRefusedLocally_WithNoRedisCalls()
    {
        await using var gateways = await StartOneAsync("denied", """[ { "Algorithm": "FixedWindow", "Limit": 50, "Window": "1h" } ]""");
        var client = gateways.Instances[0].Client;
        var subject = "denied-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/denied/" + subject;
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        var spent = await client.SendManyAsync(path, token, 60);
        Assert.Equal(50, spent.Count(s => s == HttpStatusCode.OK));

        var callsBefore = await RedisInspector.ScriptCallsAsync();
        var refused = await client.SendManyAsync(path, token, 200);
        var calls = await RedisInspector.ScriptCallsAsync() - callsBefore;

        Assert.All(refused, s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        Assert.Equal(0, calls);
        using var last = await client.GetAsync(path, token);
        var retryAfter = long.Parse(last.Header("Retry-After")!, CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 60, 3600);
    }

    [Fact]
    public async Task HotKey_TakesFarFewerScriptCallsThanRequests()
    {
        await using var gateways = await StartOneAsync("hot", """[ { "Algorithm": "FixedWindow", "Limit": 1000000, "Window": "1h" } ]""");
        var subject = "hot-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/hot/" + subject;
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        var callsBefore = await RedisInspector.ScriptCallsAsync();
        var statuses = await gateways.HammerAsync(path, token, clients: 16, total: 2000);
        var calls = await RedisInspector.ScriptCallsAsync() - callsBefore;

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        // The rate (and so the ratio) depends on the machine; the bound here only says leases are in use at all.
        // The comparison (loadtests/run.sh compare) measures the ratio at full speed.
        Assert.InRange(calls, 1, statuses.Count / 4);
    }

    [Fact]
    public async Task GracefulShutdown_GivesUnusedBucketTokensBack()
    {
        await using var gateways = await StartOneAsync("returned", """[ { "Algorithm": "TokenBucket", "Limit": 1, "Window": "1h", "Burst": 1000 } ]""");
        var instance = gateways.Instances[0];
        var subject = "returned-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/returned/" + subject;
        var key = $"{RedisTestServers.KeyPrefix}{{returned|u:{subject}}}:tb:3600000000";
        var leases = instance.Services.GetRequiredService<LeasingRateLimitStore>();

        var admitted = 0;
        for (var round = 0; round < 20 && leases.HeldPermits("returned|u:" + subject) == 0; round++)
        {
            var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => instance.Client.SendManyAsync(path, token, 8)));
            admitted += statuses.SelectMany(s => s).Count(s => s == HttpStatusCode.OK);
        }

        var held = leases.HeldPermits("returned|u:" + subject);
        Assert.True(held > 0, "the instance never held unused tokens");
        var tokensBefore = await TokensAsync(key);
        // Leased tokens are gone from Redis while the instance holds them (refill adds < 0.01 of a token here).
        Assert.InRange(tokensBefore, 1000 - admitted - held - 0.01, 1000 - admitted - held + 0.01);

        await gateways.StopGatewaysAsync();

        var tokensAfter = await TokensAsync(key);
        Assert.InRange(tokensAfter, 1000 - admitted - 0.01, 1000 - admitted + 0.02);
        Assert.True(await RedisInspector.TimeToLiveAsync(cluster: false, key) is { } ttl && ttl > TimeSpan.Zero);
        Assert.Equal(admitted, gateways.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task ReloadThatLeavesThePolicyAlone_KeepsItsLease()
    {
        const string Rules = """[ { "Algorithm": "TokenBucket", "Limit": 1, "Window": "1h", "Burst": 1000 } ]""";
        await using var gateways = await StartOneAsync("kept", Rules);
        var instance = gateways.Instances[0];
        var subject = "kept-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/kept/" + subject;
        var partition = "kept|u:" + subject;
        var key = $"{RedisTestServers.KeyPrefix}{{{partition}}}:tb:3600000000";
        var leases = instance.Services.GetRequiredService<LeasingRateLimitStore>();
        var settings = instance.Services.GetRequiredService<RateLimitingSettingsProvider>();
        for (var round = 0; round < 20 && leases.HeldPermits(partition) < 2; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => instance.Client.SendManyAsync(path, token, 8)));
        }

        var held = leases.HeldPermits(partition);
        Assert.True(held >= 2, "the instance never held a lease worth keeping");
        var rulesBefore = settings.Current.Policies["kept"].Tiers["free"];

        // An edit that changes nothing about the policy: the log level (a comment or a newline reloads the same way).
        var attempts = settings.ReloadAttempts;
        var edited = GatewayConfig.Default(gateways.Upstream.Address).WithRedis(RedisTestServers.Standalone).WithPolicyRoute("kept", Rules);
        edited["Serilog"]!["MinimumLevel"]!["Default"] = "Error";
        await instance.RewriteConfigAsync(edited);
        await Eventually.HoldsAsync(() => settings.ReloadAttempts > attempts && settings.LastReloadError is null, "the edit is reloaded");

        // The same rule set object, so the lease taken under it still serves. Under a new object the next request would
        // refill, and the old lease's unused tokens would go back to Redis.
        Assert.Same(rulesBefore, settings.Current.Policies["kept"].Tiers["free"]);
        Assert.Equal(held, leases.HeldPermits(partition));
        var tokensBefore = await TokensAsync(key);
        using var response = await instance.Client.GetAsync(path, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.True(await TokensAsync(key) < tokensBefore + 1, $"the lease's {held} tokens went back to Redis");
    }

    /// <summary>One gateway on real time and standalone Redis, with a route <c>/api/{policy}/...</c> limited by <paramref name="rules"/>.</summary>
    private static Task<GatewayCluster> StartOneAsync(string policy, string rules) => GatewayCluster.StartAsync(
        upstream => GatewayConfig.Default(upstream).WithRedis(RedisTestServers.Standalone).WithPolicyRoute(policy, rules),
        TimeSpan.Zero);

    private static async Task<double> TokensAsync(string key)
    {
        var value = await RedisTestServers.Connection(cluster: false).Database.HashGetAsync(key, "t");
        return double.Parse(value.ToString(), CultureInfo.InvariantCulture);
    }
}
