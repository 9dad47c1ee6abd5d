using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Distributed;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.LoadTests.Hosting;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.ColdStart;

/// <summary>
/// What a rolling deploy does: fresh gateway processes (not in-process hosts sharing a warm JIT), one with its clock
/// 90 s behind, take traffic from 24 concurrent clients the moment every <c>/readyz</c> says 200. While
/// Redis answers, the fleet admits exactly the limit (a sliding window, the limit or one less) and decides nothing in
/// a failure mode, from the first request on: the warm start has connected, loaded and run every script and counted the
/// instances before readiness, so no first call misses the default 50 ms deadline. Five fresh fleets in a row for each
/// of a fixed window with leases, exact mode and a sliding window, with default store settings.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class ColdStartTests
{
    private const int Repetitions = 5;
    private const int Limit = 30;
    private const int Requests = 120;
    private const int Clients = 24;

    private static readonly (string Name, string Rules, bool Leases)[] Policies =
    [
        ("cold-fixed", """[ { "Algorithm": "FixedWindow", "Limit": 30, "Window": "1h" } ]""", true),
        ("cold-exact", """[ { "Algorithm": "FixedWindow", "Limit": 30, "Window": "1h" } ]""", false),
        ("cold-sliding", """[ { "Algorithm": "SlidingWindow", "Limit": 30, "Window": "1h" } ]""", true),
    ];

    private readonly ITestOutputHelper _output;

    public ColdStartTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> PolicyNames() => new(Policies.Select(static p => p.Name));

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public async Task FreshProcesses_TrafficTheMomentTheyAreReady_AdmitExactlyTheLimit_WithNoFailureModeDecision(string policy)
    {
        await using var upstream = await UpstreamServer.StartAsync();
        for (var repetition = 1; repetition <= Repetitions; repetition++)
        {
            await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
            var prefix = $"{RedisTestServers.KeyPrefix}cold-{Guid.NewGuid():N}:";
            await using var fleet = await GatewayProcessFleet.StartAsync(Config(upstream.Address, prefix), TimeSpan.FromSeconds(-90), TimeSpan.Zero, TimeSpan.Zero);

            var run = await HammerAsync(fleet.Instances, policy, upstream);

            var readiness = await Task.WhenAll(fleet.Instances.Select(GatewayProcessFleet.ReadinessAsync));
            var failureModeDecisions = readiness.Select(r => r.GetProperty("failureModeDecisions").GetInt64()).ToList();
            var clockOffsets = readiness.Select(r => r.GetProperty("clockOffsetMs").GetInt64()).ToList();
            _output.WriteLine($"{policy}, fresh fleet {repetition}: admitted {run.Admitted} of {run.Sent}, refused {run.Refused}, other {run.Unexpected.Count}; "
                + $"failure-mode decisions per instance {string.Join(", ", failureModeDecisions)}; Redis clock minus gateway clock {string.Join(", ", clockOffsets)} ms");

            foreach (var instance in fleet.Instances.Where(i => i.RecentOutput.Contains("WRN", StringComparison.Ordinal)))
            {
                // The gateways log failure-mode decisions and circuit changes as warnings: show them with a failure.
                _output.WriteLine($"{instance.Name} warned:{Environment.NewLine}{instance.RecentOutput}");
            }

            // The skew is real: the shifted instance sees Redis's clock 90 s ahead of its own.
            Assert.InRange(clockOffsets[0], 85_000, 95_000);
            Assert.Empty(run.Unexpected);
            Assert.All(failureModeDecisions, count => Assert.Equal(0, count));
            Assert.Equal(run.Admitted, run.UpstreamSaw);
            Assert.InRange(run.Admitted, policy == "cold-sliding" ? Limit - 1 : Limit, Limit);
        }
    }

    /// <summary><see cref="Clients"/> clients, client i on instance i mod 3, send <see cref="Requests"/> requests in all for one new subject.</summary>
    private static async Task<Run> HammerAsync(IReadOnlyList<ChildProcess> instances, string policy, UpstreamServer upstream)
    {
        var subject = $"{policy}-{Guid.NewGuid():N}";
        var path = $"/api/{policy}/{subject}";
        // Valid on every instance's clock, the one 90 s behind included (a token minted "now" is not yet valid there).
        var token = TestTokens.Create(subject, "free", notBefore: DateTime.UtcNow.AddMinutes(-5), expires: DateTime.UtcNow.AddHours(1));
        var clients = instances.Select(i => new HttpClient { BaseAddress = i.Address, Timeout = TimeSpan.FromSeconds(30) }).ToList();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var remaining = Requests;
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
            {
                var http = clients[client % clients.Count];
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    using var response = await http.GetAsync(path, token);
                    statuses.Add(response.StatusCode);
                }
            }));
        }
        finally
        {
            clients.ForEach(static c => c.Dispose());
        }

        // A burst can end while an instance still holds a permit or two in a lease (near the limit, grants are a
        // request's cost, but a refill may bring one more than the last request needed). Those are not lost: they go back
        // to Redis when the lease ends (at most about 1.4 s). Ask again after that, so the count is the fleet's whole
        // admission for the window, not a snapshot of it.
        if (statuses.Count(static s => s == HttpStatusCode.OK) < Limit)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            foreach (var instance in instances)
            {
                using var http = new HttpClient { BaseAddress = instance.Address, Timeout = TimeSpan.FromSeconds(30) };
                for (var i = 0; i < 3; i++)
                {
                    using var response = await http.GetAsync(path, token);
                    statuses.Add(response.StatusCode);
                }
            }
        }

        return new Run(
            policy,
            statuses.Count(static s => s == HttpStatusCode.OK),
            statuses.Count(static s => s == HttpStatusCode.TooManyRequests),
            [.. statuses.Where(static s => s is not HttpStatusCode.OK and not HttpStatusCode.TooManyRequests)],
            upstream.Counter.ForPath(path),
            statuses.Count);
    }

    private static JsonObject Config(Uri upstream, string keyPrefix)
    {
        var config = GatewayConfig.Default(upstream).WithRedis(RedisTestServers.Standalone);
        config["RateLimiting"]!["Store"]!["Redis"]!["KeyPrefix"] = keyPrefix;
        foreach (var (name, rules, leases) in Policies)
        {
            config.WithPolicyRoute(name, rules, leases);
        }

        return config;
    }

    private sealed record Run(string Policy, int Admitted, int Refused, IReadOnlyList<HttpStatusCode> Unexpected, long UpstreamSaw, int Sent);
}
