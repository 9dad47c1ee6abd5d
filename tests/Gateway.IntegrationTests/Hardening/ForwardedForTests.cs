using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Hardening;

/// <summary>
/// <c>X-Forwarded-For</c> from a known proxy, in every shape a proxy (or a client it passes through) might produce.
/// Never a 5xx; a value the gateway cannot read leaves the caller keyed by the proxy's own address; every spelling of
/// one client lands on that client's one budget (the README: IPv4 as is, IPv4-mapped IPv6 unwrapped, IPv6 by /64).
/// The anonymous tier allows 3 a minute on orders, and the fake clock stands still, so a budget never refills here.
/// Each test keys its callers in an address range of its own.
/// </summary>
public sealed class ForwardedForTests : IClassFixture<KnownProxyGatewayFixture>
{
    private readonly KnownProxyGatewayFixture _fixture;

    public ForwardedForTests(KnownProxyGatewayFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task UnreadableForwardedFor_KeysByTheProxyAddress_Never5xx()
    {
        var before = _fixture.Upstream.Counter.Total;
        // The middleware reads the list from the right and stops at the first hop it cannot parse: with that hop
        // rightmost, nothing is taken from the header and the caller is the proxy itself. A chain of nothing but the
        // proxy walks down to the proxy as well. All of these, and a request with no header, share one budget.
        var values = new[]
        {
            "garbage",
            "1.2.3.4, not-an-ip",
            string.Empty,
            "   ",
            ",,,",
            "999.1.1.1",
            "unknown",
            "\uff11\uff10.0.0.1",
            string.Join(", ", Enumerable.Repeat(KnownProxyGatewayFixture.ProxyAddress, 1000)),
        };

        var responses = new List<RawResponse>();
        foreach (var value in values)
        {
            responses.Add(await SendAsync("/api/orders/unreadable", "X-Forwarded-For: " + value));
        }

        responses.Add(await SendAsync("/api/orders/unreadable"));

        Assert.Equal(
            [.. Enumerable.Repeat(HttpStatusCode.OK, 3), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, values.Length - 2)],
            responses.Select(r => r.Status));
        Assert.All(responses.Take(3), r => Assert.Equal(KnownProxyGatewayFixture.ProxyAddress, r.EchoedForwardedFor));
        Assert.Equal(3, _fixture.Upstream.Counter.Total - before);
    }

    [Fact]
    public async Task SpellingsOfOneIpv4Client_ShareOneBudget()
    {
        var before = _fixture.Upstream.Counter.Total;
        // 10.20.0.1 written eight ways: IPv4-mapped (dotted and hex), with ports, as one integer, in octal and hex
        // parts, padded. The parser accepts them all, and the key is the unwrapped, canonical IPv4 address.
        var spellings = new[]
        {
            "10.20.0.1",
            "::ffff:10.20.0.1",
            "::ffff:0a14:0001",
            "[::ffff:10.20.0.1]:8080",
            "10.20.0.1:443",
            "169082881",
            "012.024.0.1",
            "0x0a.0x14.0.1",
            "  10.20.0.1\t",
        };

        var responses = new List<RawResponse>();
        foreach (var spelling in spellings)
        {
            responses.Add(await SendAsync("/api/orders/ipv4", "X-Forwarded-For: " + spelling));
        }

        Assert.Equal(
            [.. Enumerable.Repeat(HttpStatusCode.OK, 3), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, spellings.Length - 3)],
            responses.Select(r => r.Status));
        Assert.All(responses.Take(3), r => Assert.Equal("10.20.0.1", r.EchoedForwardedFor));
        // The neighbour is somebody else.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("/api/orders/ipv4", "X-Forwarded-For: 10.20.0.2")).Status);
        Assert.Equal(4, _fixture.Upstream.Counter.Total - before);
    }

    [Fact]
    public async Task SpellingsOfOneIpv6Prefix_ShareOneBudget()
    {
        var before = _fixture.Upstream.Counter.Total;
        // One /64, spelled in capitals, in full, bracketed with a port, and as other hosts of the same prefix.
        var spellings = new[]
        {
            "2001:db8:20::1",
            "2001:DB8:20:0:0:0:0:1",
            "[2001:db8:20::1]:443",
            "2001:0db8:0020:0000:ffff:ffff:ffff:ffff",
            "[2001:db8:20::abcd]",
        };

        var statuses = new List<HttpStatusCode>();
        foreach (var spelling in spellings)
        {
            statuses.Add((await SendAsync("/api/orders/ipv6", "X-Forwarded-For: " + spelling)).Status);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        // The next /64 is somebody else.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("/api/orders/ipv6", "X-Forwarded-For: 2001:db8:20:1::1")).Status);
        Assert.Equal(4, _fixture.Upstream.Counter.Total - before);
    }

    [Fact]
    public async Task BracketedLoopbackWithPort_IsKeyedByItsPrefix()
    {
        var before = _fixture.Upstream.Counter.Total;
        // [::1]:80 is a well-formed endpoint: the client is ::1, keyed by the /64 it shares with every "::" address,
        // the deprecated IPv4-compatible ::10.0.0.1 included (unlike ::ffff:10.0.0.1, it is not an IPv4 address).
        var spellings = new[] { "[::1]:80", "::1", "[::1]:443", "::10.0.0.1" };

        var responses = new List<RawResponse>();
        foreach (var spelling in spellings)
        {
            responses.Add(await SendAsync("/api/orders/loopback6", "X-Forwarded-For: " + spelling));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], responses.Select(r => r.Status));
        Assert.Equal("::1", responses[0].EchoedForwardedFor);
        Assert.Equal(3, _fixture.Upstream.Counter.Total - before);
    }

    [Fact]
    public async Task ChainOf1000Addresses_KeysByTheRightmostHopNotAProxy()
    {
        var before = _fixture.Upstream.Counter.Total;
        // 999 hops a client made up, then the client the last proxy saw. Only the rightmost untrusted hop counts, so
        // the made-up hops buy nothing, with or without the proxy itself appended.
        var madeUp = string.Join(", ", Enumerable.Range(0, 999).Select(i => $"10.30.{i >> 8}.{i & 255}"));
        var values = new[]
        {
            madeUp + ", 10.31.0.1",
            madeUp + ", 10.31.0.1, " + KnownProxyGatewayFixture.ProxyAddress,
            "10.31.0.1",
            madeUp.Replace("10.30.", "10.32.", StringComparison.Ordinal) + ", 10.31.0.1",
        };

        var responses = new List<RawResponse>();
        foreach (var value in values)
        {
            responses.Add(await SendAsync("/api/orders/chain", "X-Forwarded-For: " + value));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], responses.Select(r => r.Status));
        Assert.All(responses.Take(3), r => Assert.Equal("10.31.0.1", r.EchoedForwardedFor));
        Assert.Equal(3, _fixture.Upstream.Counter.Total - before);
    }

    [Fact]
    public async Task RepeatedHeaderLines_ReadAsOneList()
    {
        var before = _fixture.Upstream.Counter.Total;
        // 90 X-Forwarded-For lines are one list, in order (RFC 9110 5.3): the last line's address is the client, and
        // it shares its budget with the same address sent on one line.
        var lines = Enumerable.Range(0, 90).Select(i => $"X-Forwarded-For: 10.40.{i}.1").ToArray();

        var repeated = await SendAsync("/api/orders/repeated", lines);
        var single = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            single.Add((await SendAsync("/api/orders/repeated", "X-Forwarded-For: 10.40.89.1")).Status);
        }

        Assert.Equal(HttpStatusCode.OK, repeated.Status);
        Assert.Equal("10.40.89.1", repeated.EchoedForwardedFor);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], single);
        Assert.Equal(3, _fixture.Upstream.Counter.Total - before);
    }

    [Fact]
    public async Task HundredRepeatedHeaderLines_Answers431_NeverReachesUpstream()
    {
        var before = _fixture.Upstream.Counter.Total;
        // With Host and Connection that is over Kestrel's 100 request headers: refused before the gateway sees it.
        var lines = Enumerable.Range(0, 100).Select(i => $"X-Forwarded-For: 10.41.{i}.1").ToArray();

        var response = await SendAsync("/api/orders/hundred", lines);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.Status);
        Assert.Equal(before, _fixture.Upstream.Counter.Total);
    }

    private Task<RawResponse> SendAsync(string path, params string[] headerLines) =>
        RawHttp.SendAsync(_fixture.Gateway.Address, path, headerLines);
}
