using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Hardening;

/// <summary>
/// Oversized requests are refused with a 4xx, never a 5xx, on limited routes and unlimited ones alike: Kestrel's
/// limits (8 KB request line, 32 KB of headers, 100 headers, 30 MB body) answer 414, 431 and 413. Whatever is too large
/// by its head alone must not cost the backend anything; a chunked body can only be caught on the way.
/// </summary>
public sealed class OversizedRequestTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public OversizedRequestTests(GatewayFixture fixture) => _fixture = fixture;

    private long UpstreamTotal => _fixture.Upstream.Counter.Total;

    [Theory]
    [InlineData("/api/orders/", 10_000)]
    [InlineData("/api/open/", 10_000)]
    [InlineData("/api/secure/", 10_000)]
    [InlineData("/api/orders/", 1_000_000)]
    public async Task HugePath_Answers414_NeverReachesUpstream(string prefix, int length)
    {
        var before = UpstreamTotal;

        var response = await RawHttp.SendAsync(_fixture.Gateway.Address, prefix + new string('p', length), [Authorization()]);

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.Status);
        Assert.Equal(before, UpstreamTotal);
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(200_000)]
    public async Task HugeQuery_Answers414_NeverReachesUpstream(int length)
    {
        var before = UpstreamTotal;
        var query = string.Join('&', Enumerable.Range(0, length / 8).Select(i => $"k{i % 1000:D3}=v"));

        var response = await RawHttp.SendAsync(_fixture.Gateway.Address, "/api/orders/query?" + query);

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.Status);
        Assert.Equal(before, UpstreamTotal);
    }

    [Theory]
    [InlineData("X-Padding", 40_000)]
    [InlineData("X-Padding", 1_000_000)]
    [InlineData("Cookie", 40_000)]
    [InlineData("X-Forwarded-For", 40_000)]
    [InlineData("Authorization", 40_000)]
    public async Task HugeHeader_Answers431_NeverReachesUpstream(string name, int length)
    {
        var before = UpstreamTotal;
        // A bearer token of 40 KB is Kestrel's to refuse (431), before authentication: the README says so.
        var value = name == "Authorization" ? "Bearer " + new string('A', length) : new string('h', length);

        var response = await RawHttp.SendAsync(_fixture.Gateway.Address, "/api/orders/huge-header", [$"{name}: {value}"]);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.Status);
        Assert.Equal(before, UpstreamTotal);
    }

    [Fact]
    public async Task ManyHeadersOverTheTotalSize_Answers431_NeverReachesUpstream()
    {
        var before = UpstreamTotal;
        // 90 headers of 400 bytes: each small, under the count limit, together over 32 KB.
        var lines = Enumerable.Range(0, 90).Select(i => $"X-Padding-{i}: {new string('h', 400)}").ToArray();

        var response = await RawHttp.SendAsync(_fixture.Gateway.Address, "/api/orders/many-headers", lines);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.Status);
        Assert.Equal(before, UpstreamTotal);
    }

    [Fact]
    public async Task TooManyHeaders_Answers431_NeverReachesUpstream()
    {
        var before = UpstreamTotal;
        var lines = Enumerable.Range(0, 120).Select(i => $"X-Header-{i}: v").ToArray();

        var response = await RawHttp.SendAsync(_fixture.Gateway.Address, "/api/orders/too-many-headers", lines);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.Status);
        Assert.Equal(before, UpstreamTotal);
    }

    /// <summary>
    /// A body whose declared length is over Kestrel's 30 MB can be refused from the headers alone, before anything is
    /// forwarded. Kestrel only checks the limit when the body is first read, and YARP reads it only after it has sent
    /// the request head to the backend, so the gateway checks the declared length itself (a test found the backend
    /// running such requests before it did).
    /// </summary>
    [Theory]
    [InlineData("/api/open/declared-body")]
    [InlineData("/api/orders/declared-body")]
    public async Task DeclaredBodyOverTheLimit_Answers413_NeverReachesUpstream(string path)
    {
        var before = UpstreamTotal;
        var head = $"POST {path} HTTP/1.1\r\nHost: {_fixture.Gateway.Address.Authority}\r\n{Authorization()}\r\n" +
                   "Content-Type: application/octet-stream\r\nContent-Length: 50000000\r\nConnection: close\r\n\r\n";

        var response = await RawHttp.SendBytesAsync(_fixture.Gateway.Address, [.. Encoding.ASCII.GetBytes(head), .. new byte[1024]]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.Status);
        // The caller's 413 can come back before the backend has dispatched the head it was sent: give the backend a
        // moment to show whether it got one, so the outcome does not depend on which side of the race a run lands.
        var settle = Stopwatch.StartNew();
        while (UpstreamTotal == before && settle.Elapsed < TimeSpan.FromSeconds(1))
        {
            await Task.Delay(20);
        }

        Assert.Equal(before, UpstreamTotal);
    }

    /// <summary>
    /// A chunked body declares no length: a streaming proxy forwards it until it crosses the limit, so the backend does
    /// see the start of it. What the gateway owes here is a 413 to the caller, not a 502 or a 500.
    /// </summary>
    [Fact]
    public async Task ChunkedBodyOverTheLimit_Answers413_Never5xx()
    {
        var head = $"POST /api/open/chunked-body HTTP/1.1\r\nHost: {_fixture.Gateway.Address.Authority}\r\n" +
                   "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        const int ChunkSize = 1 << 20;
        var chunk = Encoding.ASCII.GetBytes($"{ChunkSize:x}\r\n").Concat(new byte[ChunkSize]).Concat(Encoding.ASCII.GetBytes("\r\n")).ToArray();
        var request = new List<byte>(Encoding.ASCII.GetBytes(head));
        for (var i = 0; i < 31; i++)
        {
            request.AddRange(chunk);
        }

        request.AddRange(Encoding.ASCII.GetBytes("0\r\n\r\n"));

        var response = await RawHttp.SendBytesAsync(_fixture.Gateway.Address, [.. request]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.Status);
    }

    /// <summary>A valid token for a subject of its own, so a refusal is never a 429 from a budget another test spent.</summary>
    private static string Authorization() =>
        "Authorization: Bearer " + TestTokens.Create("oversized-" + Guid.NewGuid().ToString("N"), "free");
}
