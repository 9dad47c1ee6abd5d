using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// A policy with <c>"DryRun": true</c> is evaluated but never changes what clients see: no 429, every request reaches
/// the upstream, and no RateLimit fields (a dry run must be invisible, or clients would start backing off).
/// </summary>
public sealed class DryRunTests : IClassFixture<LimitsApiGateway>
{
    private static readonly string[] RateLimitFields =
        ["RateLimit", "RateLimit-Policy", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"];

    private readonly LimitsApiGateway _fixture;

    public DryRunTests(LimitsApiGateway fixture) => _fixture = fixture;

    [Fact]
    public async Task DryRunPolicy_BeyondTheLimit_ForwardsEveryRequestWithoutRateLimitFields()
    {
        var subject = "dry-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/dry/" + subject;
        const int Requests = (3 * LimitsApiGateway.DryRunLimit) + 1;

        for (var i = 0; i < Requests; i++)
        {
            using var response = await _fixture.Client.GetAsync(path, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            foreach (var field in RateLimitFields)
            {
                Assert.True(response.Header(field) is null, $"request {i + 1}: dry run sent {field}: {response.Header(field)}");
            }
        }

        Assert.Equal(Requests, _fixture.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task DryRunPolicy_IsStillEvaluated_TheCountShowsInUsage()
    {
        // Not a disabled policy: it counts, so an operator can see what it would have refused.
        var subject = "dry-counted-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var statuses = await _fixture.Client.SendManyAsync("/api/dry/" + subject, token, LimitsApiGateway.DryRunLimit + 1);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));

        var usage = await _fixture.Client.PolicyUsageAsync(subject, LimitsApiGateway.DryRunPolicy);

        Assert.Equal(0, (long)Assert.Single(usage["rules"]!.AsArray())!["remaining"]!);
        Assert.Equal("dry-1h", (string?)usage["wouldRejectRule"]);
    }

    [Fact]
    public async Task EnforcedPolicy_SameGateway_StillSendsFieldsAndRefuses()
    {
        // The control: on the same gateway a policy without DryRun does send the fields and does refuse.
        var subject = "not-dry-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/orders/" + subject;

        var statuses = await _fixture.Client.SendManyAsync(path, token, 6);
        using var refused = await _fixture.Client.GetAsync(path, token);

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Header("RateLimit-Policy"));
        Assert.NotNull(refused.Header("Retry-After"));
    }
}
