using System.Diagnostics;
using System.Globalization;
using System.Net;
using Gateway.IntegrationTests.Distributed;
using Gateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// Runtime overrides on three instances sharing Redis: one made through any instance applies on every instance
/// within a second (the API's promise; pub/sub makes it milliseconds, the 5 s resync only heals a lost message),
/// mid-window without forgetting what was spent; it stops applying at <c>ExpiresAt</c>; DELETE restores the tier.
/// Every measured delay is printed.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class OverridePropagationTests : IClassFixture<LimitsApiCluster>, IAsyncLifetime
{
    private const string Policy = LimitsApiCluster.OverridePolicy;
    private const int TierLimit = LimitsApiCluster.Limit;
    private const int RaisedLimit = 20;
    private const int SpentBefore = 5;
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(1);

    private readonly LimitsApiCluster _fixture;
    private readonly ITestOutputHelper _output;
    private readonly List<string> _subjects = [];

    public OverridePropagationTests(LimitsApiCluster fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    private GatewayInstance A => _fixture.Instances[0];

    private GatewayInstance B => _fixture.Instances[1];

    private GatewayInstance C => _fixture.Instances[2];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // The overrides hash is shared by every test gateway on this Redis: leave nothing of ours behind.
        foreach (var subject in _subjects)
        {
            using var _ = await A.Client.DeleteOverrideAsync(subject);
        }
    }

    [Fact]
    public async Task PutOverride_OnOneInstance_AppliesOnEveryInstanceWithinOneSecond_KeepingTheSpentCount()
    {
        var subject = NewSubject("raised");
        var token = TestTokens.Create(subject, "free");
        var path = $"/api/{Policy}/{subject}";
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        // Half the hour's 10 spent, across the instances (so each may hold a lease under the tier's rules).
        for (var i = 0; i < SpentBefore; i++)
        {
            using var response = await _fixture.Instances[i % 3].Client.GetAsync(path, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        var onB = ClusterTraffic.WhenAsync(clock, async () => await B.Client.AppliedLimitAsync(subject, Policy) == RaisedLimit, "B applies the override");
        var onC = ClusterTraffic.WhenAsync(clock, async () => await C.Client.AppliedLimitAsync(subject, Policy) == RaisedLimit, "C applies the override");
        var sent = clock.Elapsed;
        using (var put = await A.Client.PutOverrideAsync(subject, Document(RaisedLimit)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var answered = clock.Elapsed;
        var (delayB, delayC) = (await onB - sent, await onC - sent);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PUT on A answered in {(answered - sent).TotalMilliseconds:F1} ms; applied on B after {delayB.TotalMilliseconds:F1} ms, on C after {delayC.TotalMilliseconds:F1} ms"));
        Assert.True(delayB <= Promise, $"B applied the override after {delayB.TotalMilliseconds:F0} ms");
        Assert.True(delayC <= Promise, $"C applied the override after {delayC.TotalMilliseconds:F0} ms");
        Assert.Equal(RaisedLimit, await A.Client.AppliedLimitAsync(subject, Policy));

        // Same window: what was spent stays spent, so exactly 20 - 5 more fit across the instances, not 20.
        var admitted = await ClusterTraffic.AdmitAsync(_fixture.Instances, path, token, RaisedLimit - SpentBefore);
        var beyond = await ClusterTraffic.RoundsAsync(_fixture.Instances, path, token, rounds: 3);
        _output.WriteLine($"after the override: admitted {string.Join('/', admitted)} on A/B/C, then {beyond.Count(s => s == HttpStatusCode.OK)} of {beyond.Count} more");
        Assert.Equal(RaisedLimit - SpentBefore, admitted.Sum());
        Assert.All(beyond, s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        Assert.Equal(RaisedLimit, _fixture.Cluster.Upstream.Counter.ForPath(path));

        // The proxy tells clients about the new limit too.
        using var refused = await C.Client.GetAsync(path, token);
        Assert.Equal($"\"{Policy}-1h\";q={RaisedLimit};w=3600", refused.Header("RateLimit-Policy"));
    }

    [Fact]
    public async Task PutOverride_WithExpiresAt_StopsApplyingOnEveryInstanceOnTime()
    {
        var subject = NewSubject("expiring");
        // Whole milliseconds: the document's text is what every instance parses.
        var now = DateTimeOffset.UtcNow;
        var expiresAt = now.AddSeconds(3).AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));

        using (var put = await B.Client.PutOverrideAsync(subject, Document(RaisedLimit, expiresAt)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // In force everywhere before it expires (pub/sub: milliseconds; the 3 s ahead leave ample room).
        foreach (var instance in _fixture.Instances)
        {
            await Eventually.HoldsAsync(async () => await instance.Client.AppliedLimitAsync(subject, Policy) == RaisedLimit, "the override applies", TimeSpan.FromSeconds(10));
        }

        Assert.True(DateTimeOffset.UtcNow < expiresAt, "the override was not in force everywhere before it expired; the test could not observe its expiry");
        var usage = await A.Client.PolicyUsageAsync(subject, Policy);
        Assert.True((bool)usage["overrideActive"]!);
        Assert.Equal(expiresAt, DateTimeOffset.Parse((string)usage["overrideExpiresAt"]!, CultureInfo.InvariantCulture));

        // Wait for the moment itself. Expiry is judged on every lookup by the instance's clock (the machine's here),
        // so the very first question asked after ExpiresAt must get the tier's answer on every instance, however
        // long that answer takes to arrive: no tolerance needed, and none that a slow machine could eat up.
        await Eventually.HoldsAsync(() => DateTimeOffset.UtcNow >= expiresAt, "the override's ExpiresAt has passed", TimeSpan.FromSeconds(10));
        var firstAnswers = await Task.WhenAll(_fixture.Instances.Select(async instance =>
        {
            var sentAfter = DateTimeOffset.UtcNow - expiresAt;
            var watch = Stopwatch.StartNew();
            var limit = await instance.Client.AppliedLimitAsync(subject, Policy);
            return (SentAfter: sentAfter, Latency: watch.Elapsed, Limit: limit);
        }));
        _output.WriteLine("first usage request after ExpiresAt, on A/B/C: " + string.Join("; ", firstAnswers.Select(a =>
            string.Create(CultureInfo.InvariantCulture, $"sent +{a.SentAfter.TotalMilliseconds:F0} ms, answered in {a.Latency.TotalMilliseconds:F0} ms, limit {a.Limit}"))));
        Assert.All(firstAnswers, a => Assert.True(a.SentAfter >= TimeSpan.Zero && a.Limit == TierLimit, $"asked {a.SentAfter.TotalMilliseconds:F0} ms after ExpiresAt, an instance still applied limit {a.Limit}"));

        foreach (var instance in _fixture.Instances)
        {
            using var get = await instance.Client.SendJsonAsync(HttpMethod.Get, "/admin/overrides/" + subject, LimitsApiCalls.AdminToken());
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            using var proxied = await instance.Client.GetAsync($"/api/{Policy}/{subject}", TestTokens.Create(subject, "free"));
            Assert.Equal($"\"{Policy}-1h\";q={TierLimit};w=3600", proxied.Header("RateLimit-Policy"));
        }
    }

    [Fact]
    public async Task DeleteOverride_OnAnotherInstance_RestoresTheTierRulesOnEveryInstance()
    {
        var subject = NewSubject("deleted");
        using (var put = await A.Client.PutOverrideAsync(subject, Document(RaisedLimit)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        foreach (var instance in _fixture.Instances)
        {
            await Eventually.HoldsAsync(async () => await instance.Client.AppliedLimitAsync(subject, Policy) == RaisedLimit, "the override applies", TimeSpan.FromSeconds(10));
        }

        var clock = Stopwatch.StartNew();
        var watches = _fixture.Instances.Select((instance, i) => ClusterTraffic.WhenAsync(
            clock,
            async () => await instance.Client.PolicyUsageAsync(subject, Policy) is var usage
                && (string?)usage["source"] == "tier:free" && !(bool)usage["overrideActive"]! && (long)usage["rules"]![0]!["limit"]! == TierLimit,
            $"instance {i} is back on the tier's rules")).ToList();
        var sent = clock.Elapsed;
        using (var delete = await B.Client.DeleteOverrideAsync(subject))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        var delays = (await Task.WhenAll(watches)).Select(t => t - sent).ToList();
        _output.WriteLine("DELETE on B: tier rules back on A/B/C after " + string.Join(", ", delays.Select(d => $"{d.TotalMilliseconds:F1} ms")));
        Assert.All(delays, d => Assert.True(d <= Promise, $"an instance kept the deleted override for {d.TotalMilliseconds:F0} ms"));
        foreach (var instance in _fixture.Instances)
        {
            using var get = await instance.Client.SendJsonAsync(HttpMethod.Get, "/admin/overrides/" + subject, LimitsApiCalls.AdminToken());
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }
    }

    [Fact]
    public async Task PutOverride_ManyAtOnceThroughEveryInstance_EachAppliesEverywhereWithinOneSecond()
    {
        // Admin tooling changing several subjects at once: twelve PUTs in parallel, spread over the instances. Each
        // instance gets a burst of change messages; every change must still be in force everywhere within a second.
        var subjects = Enumerable.Range(0, 12).Select(i => NewSubject($"burst{i}")).ToList();
        var clock = Stopwatch.StartNew();
        var puts = await Task.WhenAll(subjects.Select(async (subject, i) =>
        {
            using var put = await _fixture.Instances[i % 3].Client.PutOverrideAsync(subject, Document(RaisedLimit + i));
            return put.StatusCode;
        }));
        var answered = clock.Elapsed;
        Assert.All(puts, s => Assert.Equal(HttpStatusCode.OK, s));

        var seen = await Task.WhenAll(_fixture.Instances.Select((instance, n) => ClusterTraffic.WhenAsync(
            clock,
            async () =>
            {
                for (var i = 0; i < subjects.Count; i++)
                {
                    if (await instance.Client.AppliedLimitAsync(subjects[i], Policy) != RaisedLimit + i)
                    {
                        return false;
                    }
                }

                return true;
            },
            $"instance {n} applies all {subjects.Count} overrides")));
        _output.WriteLine($"{subjects.Count} PUTs answered after {answered.TotalMilliseconds:F0} ms; all applied on A/B/C after "
            + string.Join(", ", seen.Select(t => $"{t.TotalMilliseconds:F0} ms")));
        Assert.All(seen, t => Assert.True(t <= Promise, $"an instance applied every override only after {t.TotalMilliseconds:F0} ms"));
    }

    private string NewSubject(string prefix)
    {
        var subject = $"{prefix}-{Guid.NewGuid():N}";
        _subjects.Add(subject);
        return subject;
    }

    private static string Document(int limit, DateTimeOffset? expiresAt = null) =>
        $$"""{ "Policies": { "{{Policy}}": [ { "Algorithm": "FixedWindow", "Limit": {{limit}}, "Window": "1h" } ] }{{(expiresAt is { } at ? $", \"ExpiresAt\": \"{at.ToString("O", CultureInfo.InvariantCulture)}\"" : string.Empty)}} }""";
}
