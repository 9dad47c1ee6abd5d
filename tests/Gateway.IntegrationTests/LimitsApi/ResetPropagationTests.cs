using System.Diagnostics;
using System.Globalization;
using System.Net;
using Gateway.IntegrationTests.Distributed;
using Gateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// A reset made through one instance clears the subject's counters in Redis and every instance's local state (leases,
/// cached refusals): the other instances admit the subject again, and together never beyond the limit.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class ResetPropagationTests : IClassFixture<LimitsApiCluster>
{
    private const string Policy = LimitsApiCluster.ResetPolicy;
    private const int Limit = LimitsApiCluster.Limit;

    private readonly LimitsApiCluster _fixture;
    private readonly ITestOutputHelper _output;

    public ResetPropagationTests(LimitsApiCluster fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task Reset_AfterEveryInstanceRefused_EveryInstanceAdmitsAgain_NeverBeyondTheLimit()
    {
        var instances = _fixture.Instances;
        var subject = "reset-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = $"/api/{Policy}/{subject}";
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        // The hour's budget spent across A, B and C, then each refuses: each now holds a refusal (and lease state).
        var before = await ClusterTraffic.AdmitAsync(instances, path, token, Limit);
        Assert.Equal(Limit, before.Sum());
        Assert.All(await ClusterTraffic.RoundsAsync(instances, path, token, rounds: 1), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        var clock = Stopwatch.StartNew();
        using (var reset = await instances[0].Client.ResetAsync(subject))
        {
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
            Assert.Contains(Policy, (await reset.JsonAsync())["reset"]!.AsArray().Select(p => (string?)p));
        }

        // B and C (polled through the proxy, so polling spends) admit the subject again.
        var admitted = new int[instances.Count];
        var firstAdmitted = new TimeSpan?[instances.Count];
        for (var n = 0; (firstAdmitted[1] is null || firstAdmitted[2] is null) && clock.Elapsed < ClusterTraffic.Bound; n++)
        {
            var i = 1 + (n % 2);
            using var response = await instances[i].Client.GetAsync(path, token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                admitted[i]++;
                firstAdmitted[i] ??= clock.Elapsed;
            }
            else
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                await Task.Delay(5);
            }
        }

        Assert.True(firstAdmitted[1] is not null && firstAdmitted[2] is not null, "B or C never admitted the subject after the reset");
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"after the reset on A: B admitted after {firstAdmitted[1]!.Value.TotalMilliseconds:F1} ms, C after {firstAdmitted[2]!.Value.TotalMilliseconds:F1} ms"));

        // The rest of the fresh budget, across all three; then nothing more.
        var rest = await ClusterTraffic.AdmitAsync(instances, path, token, Limit - admitted.Sum());
        var beyond = await ClusterTraffic.RoundsAsync(instances, path, token, rounds: 3);
        var after = admitted.Sum() + rest.Sum();
        _output.WriteLine($"admitted after the reset: {after} of {Limit}; then {beyond.Count(s => s == HttpStatusCode.OK)} of {beyond.Count} more");
        Assert.Equal(Limit, after);
        Assert.All(beyond, s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        Assert.Equal(2 * Limit, _fixture.Cluster.Upstream.Counter.ForPath(path));

        // And the shared view agrees: nothing left this hour.
        var usage = await instances[2].Client.PolicyUsageAsync(subject, Policy);
        Assert.Equal(0, (long)usage["rules"]![0]!["remaining"]!);
    }

    [Fact]
    public async Task Reset_OfASubjectNobodyUsed_Answers200ListingThePolicies()
    {
        using var reset = await _fixture.Instances[1].Client.ResetAsync("never-seen-" + Guid.NewGuid().ToString("N"), policy: Policy);

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal([Policy], (await reset.JsonAsync())["reset"]!.AsArray().Select(p => (string?)p));
    }
}
