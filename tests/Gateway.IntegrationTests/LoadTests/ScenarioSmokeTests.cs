using Gateway.IntegrationTests.Distributed;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.LoadTests.Hosting;
using Gateway.LoadTests.Identity;
using Gateway.LoadTests.Reporting;
using Gateway.LoadTests.Running;
using Gateway.LoadTests.Scenarios;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.LoadTests;

/// <summary>
/// Every scenario of the load-test catalog, for a few seconds at small rates, against in-process gateways on real
/// Kestrel loopback ports with the LoadTest overlay's route and policies: the report is written (report.md with its
/// step table, report.html), every request is accounted for (sent = 2xx + 429 + other + errors, in every step, group
/// and second), the upstream saw exactly the 2xx, and the scenario's own checks that do not depend on timing pass.
/// Latency is never asserted: on this shared machine it measures the neighbours, not the gateway.
/// </summary>
/// <remarks>
/// In the "Distributed" collection, so the load runs alone: it would slow the parallel tests' fixed-time waits, and
/// the Redis scenarios need real-time windows on a quiet Redis.
/// </remarks>
[Collection(DistributedCollection.Name)]
public sealed class ScenarioSmokeTests
{
    /// <summary>Signs with the test key the test gateways trust (<see cref="GatewayConfig.Default"/>).</summary>
    private static readonly TokenIssuer Tokens = new(TestTokens.Issuer, TestTokens.Audience, TestTokens.SymmetricKeyBase64);

    /// <summary>The scenarios this class smoke-tests: a scenario added to the catalog must get a test here.</summary>
    private static readonly string[] Covered = ["steady", "abusive", "zipf", "round-robin", "redis-outage"];

    private readonly ITestOutputHelper _output;

    public ScenarioSmokeTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void EveryScenarioInTheCatalog_HasASmokeTest() =>
        Assert.Equal(Covered.Order(), ScenarioCatalog.All.Select(s => s.Name).Order());

    [Fact]
    public async Task Steady_UnderTheLimit_NothingRefused()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address).WithLoadTestOverlay());

        // 50/s over 10 subjects for 2 s: 10 requests per subject against pro's 100 per 10 s. The gateway's clock is
        // frozen (windows never roll), so that is the whole budget and still a tenth of it.
        var result = await RunAsync("steady", [gateway.Address], new()
        {
            ["duration"] = "2s", ["rate"] = "50", ["subjects"] = "10", ["tier"] = "pro",
        });

        AssertUpstreamSawTheAdmitted(upstream, result);
        AssertChecksPassed(result, "every subject stays under its limit", "no request refused", "no failures");
        Assert.Equal(result.Steps.Single().Sent, result.Steps.Single().Success);
    }

    [Fact]
    public async Task Abusive_WellBehavedNeverRefused_AbuserHeldToItsLimit()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address).WithLoadTestOverlay());

        // Well-behaved: 5 subjects at 2/s, 8 requests each over both phases (pro: 100 per 10 s). The abuser: 10x its
        // limit, 200 requests in the second phase, so half of them are over even a whole window's quota.
        var result = await RunAsync("abusive", [gateway.Address], new()
        {
            ["phaseDuration"] = "2s", ["wellBehaved"] = "5", ["wellBehavedRate"] = "2", ["abuseFactor"] = "10", ["tier"] = "pro",
        });

        AssertUpstreamSawTheAdmitted(upstream, result);
        // Not "well-behaved p99 unchanged": a latency comparison, which a busy machine decides.
        AssertChecksPassed(result, "well-behaved subjects see no 429", "abuser held to its limit", "no failures");
        var abuser = result.Steps.Single(s => s.Step.Name == "with-abuser").Group("abuser");
        // The frozen clock never starts a new window: the abuser gets exactly one window's quota, the rest is refused.
        Assert.Equal(100, abuser.Success);
        Assert.Equal(abuser.Sent - 100, abuser.Limited);
    }

    [Fact]
    public async Task Zipf_HotSubjectsLimited_NoSubjectOverItsBound()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address).WithLoadTestOverlay());

        // 300 requests over 200 Zipf subjects: the hottest (rank 1, tier free by the scenario's fixed draw: 20 per
        // 10 s) gets about a fifth of them, ~60, so it is refused three times over; the request mix is deterministic.
        var result = await RunAsync("zipf", [gateway.Address], new()
        {
            ["duration"] = "2s", ["rate"] = "150", ["subjects"] = "200", ["zipf"] = "1.1", ["tiers"] = "free:70,pro:25,enterprise:5",
        });

        AssertUpstreamSawTheAdmitted(upstream, result);
        AssertChecksPassed(result, "no subject admitted beyond its limit", "the hottest subject is limited", "no failures");
        Assert.Equal(new[] { "free", "pro", "enterprise" }, result.Tables.Single().Rows.Select(r => r[0]));
    }

    [Fact]
    public async Task RoundRobin_ThreeInstancesOnOneRedis_NoWindowOverItsLimit()
    {
        var scenario = ScenarioCatalog.Find("round-robin");
        // Real time (no skew): windows roll on Redis's clock, as in production; the standalone test Redis, test prefix.
        await using var cluster = await GatewayCluster.StartAsync(
            upstream => GatewayConfig.Default(upstream).WithLoadTestOverlay().WithRedis(RedisTestServers.Standalone),
            Enumerable.Repeat(TimeSpan.Zero, scenario.Requirements.Gateways).ToArray());

        // metered: 200 per 10 s. 2 subjects at 8x that for 3 s: 480 requests each, while at most two windows
        // (400 permits) can be touched, so at least 80 per subject must be refused whatever the window boundaries.
        var result = await RunAsync("round-robin", cluster.Instances.Select(i => i.Address).ToList(), new()
        {
            ["duration"] = "3s", ["subjects"] = "2", ["demand"] = "8", ["tier"] = "metered",
        });

        AssertUpstreamSawTheAdmitted(cluster.Upstream, result);
        // Not "full windows reach their limit": a 3 s run covers no full 10 s window (and that check is about timing).
        AssertChecksPassed(result, "no window admitted more than its limit", "no failures");
        var step = result.Steps.Single();
        Assert.True(step.Limited >= 2 * 80, $"{step.Limited} refused of {step.Sent}: demand over the limit was not refused");
        Assert.Equal(2, result.Tables.Single().Rows.Count);
    }

    [Fact]
    public async Task RedisOutage_KilledAndRestarted_NoFiveHundredsNoDroppedRequests()
    {
        var scenario = ScenarioCatalog.Find("redis-outage");
        // A redis-server of this test's own: it is killed (SIGKILL, by PID) and restarted on the same port.
        await using var redis = await RedisProcess.CreateAsync();
        await using var cluster = await GatewayCluster.StartAsync(
            upstream =>
            {
                var config = GatewayConfig.Default(upstream).WithLoadTestOverlay().WithRedis(redis.Address);
                // As RedisFaultTests: default deadline and breaker; fallback divides limits by at least 3; LocalFallback
                // spelled out (it is the default).
                config["RateLimiting"]!["Store"]!["Redis"]!["ExpectedInstances"] = scenario.Requirements.Gateways;
                config["RateLimiting"]!["Policies"]!["load"]!["FailureMode"] = "LocalFallback";
                return config;
            },
            Enumerable.Repeat(TimeSpan.Zero, scenario.Requirements.Gateways).ToArray());

        // Steady: 5 subjects at 2/s, 10 requests each in all, under even the fallback's share (100 / 3 per instance).
        // Hot: 10x pro's 10/s, ~200 requests during the 2 s outage. Redis is back at ~3 s of 5.
        var result = await RunAsync("redis-outage", cluster.Instances.Select(i => i.Address).ToList(), new()
        {
            ["duration"] = "5s", ["outageAt"] = "1s", ["outageFor"] = "2s", ["subjects"] = "5", ["subjectRate"] = "2", ["hotDemand"] = "10", ["tier"] = "pro",
        }, redis);

        AssertUpstreamSawTheAdmitted(cluster.Upstream, result);
        // Not the per-phase checks (refused during, served after): which requests land in which phase is timing.
        // The outage bound (the limit once per window the 2 s outage touches, plus once: 300 here) holds whatever the
        // timing; at 100/s for ~2 s this short run cannot reach it, so here it checks the wiring, not the fallback.
        AssertChecksPassed(result, "no 5xx and no dropped requests", "the hot subject is held to the outage bound");
        var step = result.Steps.Single();
        Assert.Equal(0, step.OtherStatus);
        Assert.Equal(0, step.Group("steady").Limited);
        Assert.True(step.Group("hot").Limited > 0, "the hot subject, at 10x its limit, was never refused");
        // The fault task runs to its end before the scenario returns: both events are always there, in order.
        Assert.Equal(new[] { "store broken", "store restored" }, result.Events.Select(e => e.Label));
        Assert.True(redis.IsRunning, "the scenario left Redis down");
    }

    /// <summary>
    /// Runs <paramref name="name"/> with exactly <paramref name="parameters"/> (each must be one the scenario reads: a
    /// misspelt one would silently run the default, minutes long), then checks its report and its accounting.
    /// </summary>
    private async Task<ScenarioResult> RunAsync(string name, IReadOnlyList<Uri> gateways, Dictionary<string, string> parameters, IStoreFaults? faults = null)
    {
        var scenario = ScenarioCatalog.Find(name);
        Assert.True(gateways.Count >= scenario.Requirements.Gateways, $"{name} needs {scenario.Requirements.Gateways} gateways");
        Assert.Equal(scenario.Requirements.StoreFaults, faults is not null);

        using var context = new ScenarioContext(gateways, Tokens, new ScenarioParameters(parameters), faults, progress: null);
        // Only against a hang: a run that is cut short fails the sent = scheduled check below.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var result = await scenario.RunAsync(context, timeout.Token);

        Assert.Equal(name, result.Scenario);
        Assert.All(parameters.Keys, key => Assert.True(result.Parameters.ContainsKey(key), $"parameter '{key}' was not read by {name}"));
        AssertReportWritten(result);
        AssertCountsAddUp(result);
        return result;
    }

    /// <summary>ReportWriter's folder in a temp directory: report.md with the step table (one row per step and group, with its counts) and report.html.</summary>
    private void AssertReportWritten(ScenarioResult result)
    {
        var reports = Directory.CreateTempSubdirectory("gateway-scenario-report-").FullName;
        try
        {
            var folder = ReportWriter.Write(reports, result);

            Assert.Equal(reports, Path.GetDirectoryName(folder));
            Assert.StartsWith(result.Scenario + "-", Path.GetFileName(folder), StringComparison.Ordinal);
            Assert.True(new FileInfo(Path.Combine(folder, "report.html")).Length > 0, "report.html is empty");
            var markdown = File.ReadAllText(Path.Combine(folder, "report.md"));
            _output.WriteLine(markdown);
            Assert.Contains("## Steps", markdown, StringComparison.Ordinal);
            Assert.Contains("| step | group | load | sent | 2xx | 429 | other status | errors |", markdown, StringComparison.Ordinal);
            var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            foreach (var step in result.Steps)
            {
                var rows = new List<(string Group, OutcomeStatistics Statistics)> { ("all", step.Total) };
                if (step.Step.Groups.Count > 1)
                {
                    rows.AddRange(step.Step.Groups.Select((group, g) => (group, step.Group(g))));
                }

                foreach (var (group, s) in rows)
                {
                    var row = Assert.Single(lines, l => l.StartsWith($"| {step.Step.Name} | {group} |", StringComparison.Ordinal));
                    Assert.Contains($" | {s.Sent} | {s.Success} | {s.Limited} | {s.OtherStatus} | {s.Errors} | ", row, StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            Directory.Delete(reports, recursive: true);
        }
    }

    /// <summary>Every request accounted for: in every step, every group and in the per-second timeline.</summary>
    private static void AssertCountsAddUp(ScenarioResult result)
    {
        Assert.True(result.CountsAddUp, "sent != 2xx + 429 + other + errors in some step");
        Assert.NotEmpty(result.Steps);
        foreach (var step in result.Steps)
        {
            if (step.Step.Shape.Mode == LoadMode.Open)
            {
                // An open loop sends every request its schedule holds, late rather than never.
                Assert.Equal(step.Step.Shape.MaxRequests, step.Sent);
            }

            Assert.True(step.Sent > 0, $"{step.Step.Name} sent nothing");
            Assert.Equal(step.Sent, step.Success + step.Limited + step.OtherStatus + step.Errors);
            var groups = Enumerable.Range(0, step.Step.Groups.Count).Select(step.Group).ToList();
            Assert.All(groups, g => Assert.Equal(g.Sent, g.Success + g.Limited + g.OtherStatus + g.Errors));
            Assert.Equal(step.Sent, groups.Sum(g => g.Sent));
            Assert.Equal(step.Success, groups.Sum(g => g.Success));
            Assert.Equal(step.Limited, groups.Sum(g => g.Limited));
            Assert.Equal(step.OtherStatus, groups.Sum(g => g.OtherStatus));
            Assert.Equal(step.Errors, groups.Sum(g => g.Errors));
            Assert.Equal(step.Sent, step.Timeline.Sum(s => s.Completed));
        }
    }

    /// <summary>
    /// The upstream saw exactly the admitted requests of the steps on /load/... (the scenarios' policy probes, one
    /// request per tier by a throwaway subject, are not part of any step).
    /// </summary>
    private static void AssertUpstreamSawTheAdmitted(UpstreamServer upstream, ScenarioResult result)
    {
        var forwarded = upstream.Counter.ByPath
            .Where(p => p.Key.StartsWith("/load/", StringComparison.Ordinal) && !p.Key.StartsWith("/load/probe-", StringComparison.Ordinal))
            .Sum(p => p.Value);
        Assert.Equal(result.Steps.Sum(s => s.Success), forwarded);
    }

    private static void AssertChecksPassed(ScenarioResult result, params string[] names)
    {
        foreach (var name in names)
        {
            var check = Assert.Single(result.Checks, c => c.Name == name);
            Assert.True(check.Passed, $"{result.Scenario}: {check.Name}: {check.Detail}");
        }
    }
}
