using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Hardening;

/// <summary>
/// Kestrel takes header values with non-ASCII bytes (a UTF-8 client sends them for a name like "café"). The gateway
/// may refuse such a request (4xx) or forward it (and count it), but it is the client's input: never a 5xx. Headers
/// the gateway consumes itself (a bearer token, X-Forwarded-For) are covered by the other hardening tests; these are
/// the ones it passes on to the backend.
/// </summary>
public sealed class NonAsciiHeaderTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public NonAsciiHeaderTests(GatewayFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("/api/open/non-ascii", "X-Note: caf\u00e9")]
    [InlineData("/api/open/non-ascii", "User-Agent: client/1.0 (\u2603)")]
    [InlineData("/api/open/non-ascii", "Authorization: Basic \u00e9t\u00e9")]
    [InlineData("/api/orders/non-ascii", "X-Note: caf\u00e9")]
    [InlineData("/api/orders/non-ascii", "Authorization: Basic \u00e9t\u00e9")]
    public async Task NonAsciiHeaderValue_IsRefusedOrForwarded_Never5xx(string path, string headerLine)
    {
        var before = _fixture.Upstream.Counter.Total;
        var token = TestTokens.Create("non-ascii-" + Guid.NewGuid().ToString("N"), "free");
        // The orders route gets a token so that a 429 from a budget spent elsewhere cannot hide the answer; the
        // Authorization case there is anonymous by construction, and the class's loopback budget allows 3.
        string[] lines = headerLine.StartsWith("Authorization", StringComparison.Ordinal) ? [headerLine] : [headerLine, "Authorization: Bearer " + token];

        var response = await RawHttp.SendAsync(_fixture.Gateway.Address, path, lines);

        Assert.True((int)response.Status < 500, $"{headerLine} on {path}: got {(int)response.Status}");
        // Forwarded means it reached the backend; refused means it did not.
        Assert.Equal(response.Status == HttpStatusCode.OK ? 1 : 0, _fixture.Upstream.Counter.Total - before);
    }

    [Fact]
    public async Task NonAsciiQuery_IsRefusedOrForwarded_Never5xx()
    {
        var before = _fixture.Upstream.Counter.Total;

        var response = await RawHttp.SendAsync(_fixture.Gateway.Address, "/api/open/non-ascii-query?q=caf\u00e9");

        Assert.True((int)response.Status < 500, $"got {(int)response.Status}");
        Assert.Equal(response.Status == HttpStatusCode.OK ? 1 : 0, _fixture.Upstream.Counter.Total - before);
    }
}
