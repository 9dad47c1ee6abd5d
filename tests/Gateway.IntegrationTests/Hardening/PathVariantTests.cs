using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Hardening;

/// <summary>
/// Spellings of a limited route's path buy no second budget: whatever Kestrel and YARP make of a request target, the
/// request either reaches the backend through the limiter, on the caller's one budget, or does not reach it at all.
/// Targets go to the socket exactly as written (<see cref="RawHttp"/>): HttpClient would normalise most of them away.
/// </summary>
public sealed class PathVariantTests : IClassFixture<GatewayFixture>
{
    private const string Canonical = "/api/orders/1";

    /// <summary>What a free-tier caller's admitted orders request carries: proof it went through the limiter.</summary>
    private const string FreeTierPolicy = "\"orders-1m\";q=5;w=60, \"orders-1d\";q=20;w=86400";

    /// <summary>Stands for the gateway's own host and port in absolute-form targets.</summary>
    private const string AuthorityPlaceholder = "{authority}";

    private readonly GatewayFixture _fixture;

    public PathVariantTests(GatewayFixture fixture) => _fixture = fixture;

    /// <summary>
    /// Method and target of each variant of <see cref="Canonical"/>. Some reach the orders route (case, trailing
    /// slash, percent-encoding, dot segments, queries, other methods), some no route at all (a doubled slash before
    /// the catch-all, an encoded slash inside a segment, a backslash), some are refused by Kestrel (NUL, raw non-ASCII).
    /// The tests do not pin which is which: hardening may move a variant from one group to another. They pin that
    /// none of them escapes the budget.
    /// </summary>
    public static TheoryData<string, string> Variants() => new()
    {
        { "GET", "/API/ORDERS/1" },
        { "GET", "/api/Orders/1/" },
        { "GET", "/api/orders/1/" },
        { "GET", "/api/orders/%31" },
        { "GET", "/api/%6Frders/1" },
        { "GET", "/%61pi/orders/1" },
        { "GET", "/api/orders/1?x=1" },
        { "GET", "/api/orders/1?" },
        { "GET", "/api/orders//1" },
        { "GET", "/api/orders/./1" },
        { "GET", "/api/orders/%2E/1" },
        { "GET", "/./api/orders/1" },
        { "GET", "/api/orders/../orders/1" },
        { "GET", "/api/open/../orders/1" },
        { "GET", "/api/open/%2e%2e/orders/1" },
        { "GET", "/api/orders" },
        { "GET", "/api/orders/1;x=1" },
        { "GET", "/api/orders/%" },
        { "GET", "/api/orders/%C0%AE%C0%AE/1" },
        { "GET", "//api/orders/1" },
        { "GET", "/api//orders/1" },
        { "GET", "/api/orders%2F1" },
        { "GET", "/api/orders\\1" },
        { "GET", "/api/orders/1%00" },
        { "GET", "/api/orders/\u00e9" },
        { "GET", "http://" + AuthorityPlaceholder + "/api/orders/1" },
        { "HEAD", Canonical },
        { "POST", Canonical },
        { "TRACE", Canonical },
        { "get", Canonical },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Variant_AlternatingWithCanonicalPath_SharesTheSubjectsBudget(string method, string target)
    {
        var token = TestTokens.Create("variant-" + Guid.NewGuid().ToString("N"), "free");
        var before = _fixture.Upstream.Counter.Total;

        // Variant, canonical, variant, ...: if the variant is limited the budget runs out from both sides; if it is
        // not routed, the canonical path alone spends it. Either way the subject gets its 5 and no more.
        var responses = new List<(string Target, RawResponse Response)>();
        for (var round = 0; round < 6; round++)
        {
            responses.Add((target, await SendAsync(method, target, token)));
            responses.Add((Canonical, await SendAsync("GET", Canonical, token)));
        }

        AssertAdmittedExactlyTheBudget(responses, _fixture.Upstream.Counter.Total - before);
        Assert.Equal(HttpStatusCode.TooManyRequests, responses[^1].Response.Status);
    }

    [Fact]
    public async Task AllVariants_OneSubject_ShareOneBudget()
    {
        var token = TestTokens.Create("all-variants-" + Guid.NewGuid().ToString("N"), "free");
        var before = _fixture.Upstream.Counter.Total;

        // Every spelling twice over, one caller: the first five that reach the route spend the budget, and no spelling
        // gets anything after that.
        var responses = new List<(string Target, RawResponse Response)>();
        for (var round = 0; round < 2; round++)
        {
            foreach (var variant in Variants())
            {
                var (method, target) = ((string)variant[0], (string)variant[1]);
                responses.Add(($"{method} {target}", await SendAsync(method, target, token)));
            }
        }

        AssertAdmittedExactlyTheBudget(responses, _fixture.Upstream.Counter.Total - before);
    }

    /// <summary>
    /// An encoded slash is not a path separator to Kestrel or to YARP: <c>/api/open/..%2Forders/1</c> is a request
    /// on the unlimited open route, and it must reach the backend still encoded. A gateway that decoded it on the way
    /// would hand the backend <c>/api/orders/1</c> without a limit. (A backend that itself decodes <c>%2F</c> before
    /// routing would still be exposed: the gateway forwards what it routed on, and cannot know how the backend reads it.)
    /// </summary>
    [Theory]
    [InlineData("/api/open/..%2Forders/1")]
    [InlineData("/api/open/..%2forders%2f1")]
    [InlineData("/api/open/%2e%2e%2Forders/1")]
    [InlineData("/api/open/x%2F..%2F..%2Forders/1")]
    public async Task EncodedSlashTraversal_FromUnlimitedRoute_ReachesUpstreamStillEncoded(string target)
    {
        var token = TestTokens.Create("encoded-slash-" + Guid.NewGuid().ToString("N"), "free");
        var before = _fixture.Upstream.Counter.ByPath;

        var response = await SendAsync("GET", target, token);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Null(response.Header("RateLimit-Policy"));
        var reached = _fixture.Upstream.Counter.ByPath
            .Where(p => p.Value > before.GetValueOrDefault(p.Key))
            .Select(p => p.Key)
            .ToList();
        var path = Assert.Single(reached);
        Assert.StartsWith("/api/open/", path, StringComparison.Ordinal);
        Assert.Contains("%2", path, StringComparison.OrdinalIgnoreCase);
    }

    private static void AssertAdmittedExactlyTheBudget(List<(string Target, RawResponse Response)> responses, long upstreamHits)
    {
        foreach (var (target, response) in responses)
        {
            // 200: proxied, and then it must have gone through the limiter on this subject's budget. 429: refused by
            // the limiter. Any other 4xx: not routed or refused by Kestrel, so not proxied (the upstream count shows it).
            Assert.True((int)response.Status is >= 200 and < 500, $"{target}: got {(int)response.Status}");
            if (response.Status == HttpStatusCode.OK)
            {
                Assert.True(response.Header("RateLimit-Policy") == FreeTierPolicy, $"{target}: admitted with RateLimit-Policy '{response.Header("RateLimit-Policy")}'");
            }
        }

        var admitted = responses.Count(r => r.Response.Status == HttpStatusCode.OK);
        Assert.True(admitted == 5, $"admitted {admitted}: " + string.Join("; ", responses.Select(r => $"{r.Target} {(int)r.Response.Status}")));
        // Every request that reached the backend was one of the five admitted: none slipped past as a 404 or 400.
        Assert.Equal(5, upstreamHits);
    }

    private Task<RawResponse> SendAsync(string method, string target, string token)
    {
        var address = _fixture.Gateway.Address;
        return RawHttp.SendAsync(address, target.Replace(AuthorityPlaceholder, address.Authority, StringComparison.Ordinal), ["Authorization: Bearer " + token], method);
    }
}
