using System.Diagnostics;
using System.Net;
using Gateway.IntegrationTests.Distributed;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage.Redis;
using Gateway.LoadTests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.Faults;

/// <summary>
/// A Redis that answers PING but cannot run a decision's script: out of memory under noeviction, or a read-only
/// replica. Requests fail over to the policy's failure mode (never a 5xx), the circuit opens on the rate of failed
/// calls, and stays open while the probe's writing script is refused; it closes once scripts can write again.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class RefusingRedisTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private readonly ITestOutputHelper _output;

    public RefusingRedisTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task OutOfMemory_OpensTheCircuit_UntilScriptsCanWriteAgain()
    {
        await using var redis = await RedisProcess.CreateAsync();
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await StartAsync(redis, upstream);
        await AssertServesAsync(gateway, "before");

        Assert.Equal("+OK", await redis.CommandAsync("CONFIG", "SET", "maxmemory-policy", "noeviction"));
        Assert.Equal("+OK", await redis.CommandAsync("CONFIG", "SET", "maxmemory", "1"));
        await AssertRefusedButServedAsync(redis, gateway, "OOM");

        Assert.Equal("+OK", await redis.CommandAsync("CONFIG", "SET", "maxmemory", "0"));
        await WaitForAsync(() => Breaker(gateway).State == CircuitState.Closed, "the circuit closes once scripts can write");
        await AssertServesAsync(gateway, "after");
    }

    [Fact]
    public async Task ReadOnlyReplica_OpensTheCircuit_UntilItIsAPrimaryAgain()
    {
        await using var primary = await RedisProcess.CreateAsync();
        await using var redis = await RedisProcess.CreateAsync();
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await StartAsync(redis, upstream);
        await AssertServesAsync(gateway, "before");

        // The server the gateway talks to becomes a read-only replica of another: it still answers, refuses writes.
        Assert.Equal("+OK", await redis.CommandAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await AssertRefusedButServedAsync(redis, gateway, "replica");

        Assert.Equal("+OK", await redis.CommandAsync("REPLICAOF", "NO", "ONE"));
        await WaitForAsync(() => Breaker(gateway).State == CircuitState.Closed, "the circuit closes once the server takes writes");
        await AssertServesAsync(gateway, "after");
    }

    private async Task AssertRefusedButServedAsync(RedisProcess redis, GatewayInstance gateway, string fault)
    {
        // Every request is a script call (exact mode): refused ones fall to LocalFallback, never to a 5xx.
        var clock = Stopwatch.StartNew();
        while (Breaker(gateway).State == CircuitState.Closed)
        {
            using var response = await gateway.Client.GetAsync("/api/refused/" + Guid.NewGuid().ToString("N"), TestTokens.Create("refused-" + Guid.NewGuid().ToString("N"), "free"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(clock.Elapsed < Bound, $"the circuit did not open within {Bound} of refused scripts ({fault})");
        }

        _output.WriteLine($"{fault}: circuit opened after {clock.ElapsedMilliseconds} ms: {Breaker(gateway).OpenReason}");
        Assert.Equal("+PONG", await redis.CommandAsync("PING"));

        // Several probes later (one every 500 ms) it is still open: PING answers, but the writing script does not run.
        await Task.Delay(StoreCircuitBreaker.ProbeInterval * 4);
        Assert.Equal(CircuitState.Open, Breaker(gateway).State);
        await AssertServesAsync(gateway, $"during {fault}");
    }

    /// <summary>Requests get an answer, and not a 5xx, whatever the store's state.</summary>
    private static async Task AssertServesAsync(GatewayInstance gateway, string when)
    {
        var subject = "served-" + Guid.NewGuid().ToString("N");
        var statuses = await gateway.Client.SendManyAsync("/api/refused/" + subject, TestTokens.Create(subject, "free"), 5);
        Assert.True(statuses.All(s => s == HttpStatusCode.OK), $"{when}: {string.Join(", ", statuses)}");
    }

    private static Task<GatewayInstance> StartAsync(RedisProcess redis, UpstreamServer upstream) => GatewayInstance.StartAsync(
        GatewayConfig.Default(upstream.Address)
            .WithRedis(redis.Address)
            .WithPolicyRoute("refused", """[ { "Algorithm": "FixedWindow", "Limit": 1000, "Window": "1h" } ]""", leases: false));

    private static StoreCircuitBreaker Breaker(GatewayInstance gateway) => gateway.Services.GetRequiredService<RedisConnection>().Breaker;

    private static async Task WaitForAsync(Func<bool> condition, string description)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Bound, $"not within {Bound}: {description}");
            await Task.Delay(50);
        }
    }
}
