using System.Net;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Leasing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.Distributed;

/// <summary>
/// Lease mode, the default: three real gateway instances (clocks 2 minutes apart) share real Redis, standalone and
/// Cluster, and hand out permits from local leases. For 3x the limit, split evenly or 90/5/5 across the instances,
/// they must never admit more than one exact limiter would (here: the limit, all in one window), and strand at most
/// 1% of it in leases; the upstream must see exactly the admitted requests.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class LeaseAccuracyTests : IClassFixture<LeaseClusters>
{
    private const int Limit = LeaseClusters.Limit;
    private const int MinimumAdmitted = Limit * 99 / 100;

    private readonly LeaseClusters _clusters;
    private readonly ITestOutputHelper _output;

    public LeaseAccuracyTests(LeaseClusters clusters, ITestOutputHelper output)
    {
        _clusters = clusters;
        _output = output;
    }

    public static TheoryData<string, bool, int[]> Cases()
    {
        var data = new TheoryData<string, bool, int[]>();
        foreach (var policy in new[] { "lease-fixed", "lease-sliding", "lease-bucket" })
        {
            foreach (var cluster in new[] { false, true })
            {
                data.Add(policy, cluster, [1, 1, 1]);
                data.Add(policy, cluster, [90, 5, 5]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ThreeInstances_ThreeTimesTheLimit_AdmitAtMostTheLimitAndStrandUnderOnePercent(string policy, bool cluster, int[] split)
    {
        var gateways = _clusters.For(cluster);
        var subject = $"{policy}-{Guid.NewGuid():N}";
        var path = $"/api/{policy}/{subject}";
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        // 48 clients pausing 40 ms between requests: 3x the limit arrives over about two seconds, as demand does, rather
        // than in the half second an unpaced burst of fast local refusals takes (which ends before any lease could be
        // given back, so it measures the test's end more than the limiter).
        var statuses = await gateways.HammerSplitAsync(path, TestTokens.Create(subject, "free"), clients: 48, total: 3 * Limit, TimeSpan.FromMilliseconds(40), split);

        var all = statuses.SelectMany(s => s).ToList();
        Assert.Equal(3 * Limit, all.Count);
        Assert.All(all, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"unexpected {s}"));
        var admitted = all.Count(s => s == HttpStatusCode.OK);
        _output.WriteLine($"{policy} cluster={cluster} split={string.Join('/', split)}: admitted {admitted} of limit {Limit}");
        Assert.InRange(admitted, MinimumAdmitted, Limit);
        Assert.Equal(admitted, gateways.Upstream.Counter.ForPath(path));
        if (split[0] == 90)
        {
            // The skew is real: the busy instance admitted most of it.
            Assert.True(statuses[0].Count(s => s == HttpStatusCode.OK) > admitted / 2);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LeaseOnOneInstance_DemandMovesToAnother_StillReachesTheLimit(bool cluster)
    {
        var gateways = _clusters.For(cluster);
        var (a, b) = (gateways.Instances[0], gateways.Instances[1]);
        var subject = "moved-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/lease-moved/" + subject;
        var partitionKey = "lease-moved|u:" + subject;
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        // Busy traffic on B until B holds unused permits in a lease.
        var leasesOfB = b.Services.GetRequiredService<LeasingRateLimitStore>();
        var admittedByB = 0;
        for (var round = 0; round < 20 && leasesOfB.HeldPermits(partitionKey) == 0; round++)
        {
            admittedByB += (await SendConcurrentlyAsync(b, path, token, clients: 16, total: 64)).Count(s => s == HttpStatusCode.OK);
        }

        Assert.True(leasesOfB.HeldPermits(partitionKey) > 0, "B never held a lease with permits to spare");

        // From now on only A has demand. A exhausts what Redis has, is told B may still hold permits, asks again once
        // B's lease has expired and gone back, and so reaches the limit within the window.
        var admittedByA = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (admittedByA + admittedByB < MinimumAdmitted && DateTime.UtcNow < deadline)
        {
            admittedByA += (await SendConcurrentlyAsync(a, path, token, clients: 4, total: 40)).Count(s => s == HttpStatusCode.OK);
            await Task.Delay(10);
        }

        _output.WriteLine($"cluster={cluster}: B admitted {admittedByB}, then A {admittedByA}, of limit {Limit}");
        Assert.InRange(admittedByA + admittedByB, MinimumAdmitted, Limit);
        Assert.Equal(0, leasesOfB.HeldPermits(partitionKey));
        Assert.Equal(admittedByA + admittedByB, gateways.Upstream.Counter.ForPath(path));
    }

    private static async Task<List<HttpStatusCode>> SendConcurrentlyAsync(GatewayInstance instance, string path, string token, int clients, int total)
    {
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => instance.Client.SendManyAsync(path, token, total / clients)));
        return perClient.SelectMany(s => s).ToList();
    }
}
