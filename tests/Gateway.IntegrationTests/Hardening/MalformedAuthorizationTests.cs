using System.Net;
using Gateway.IntegrationTests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.IntegrationTests.Hardening;

/// <summary>
/// Whatever arrives in <c>Authorization</c>, the answer is a 401 (something bearer-like that does not validate) or
/// anonymous treatment (another scheme), never a 5xx, and a 401 never reaches the backend. Requests go through
/// <see cref="RawHttp"/> so headers arrive byte for byte (repeated lines, non-ASCII), each caller naming its own
/// address through the known proxy so its anonymous budget is its own.
/// </summary>
public sealed class MalformedAuthorizationTests : IClassFixture<KnownProxyGatewayFixture>
{
    private const string AnonymousPolicy = "\"orders-1m\";q=3;w=60";
    private const string FreeTierPolicy = "\"orders-1m\";q=5;w=60, \"orders-1d\";q=20;w=86400";

    private static readonly Dictionary<string, string[]> BearerLikeHeaders = BuildBearerLikeHeaders();

    private static int _nextClient;

    private readonly KnownProxyGatewayFixture _fixture;

    public MalformedAuthorizationTests(KnownProxyGatewayFixture fixture) => _fixture = fixture;

    /// <summary>Header lines that present a bearer token which cannot validate; the kind names the case.</summary>
    public static TheoryData<string> BearerLike() => new(BearerLikeHeaders.Keys);

    [Theory]
    [MemberData(nameof(BearerLike))]
    public async Task BearerLikeHeader_Answers401OnEveryRoute_NeverReachesUpstream(string kind)
    {
        var headers = BearerLikeHeaders[kind];
        var before = _fixture.Upstream.Counter.Total;

        foreach (var path in new[] { "/api/orders/auth", "/api/open/auth", "/api/secure/auth" })
        {
            var response = await SendAsync(path, headers);

            Assert.True(response.Status == HttpStatusCode.Unauthorized, $"{kind} on {path}: got {(int)response.Status}");
            Assert.StartsWith("Bearer", response.Header("WWW-Authenticate"), StringComparison.Ordinal);
        }

        Assert.Equal(before, _fixture.Upstream.Counter.Total);
    }

    [Theory]
    [InlineData("Basic", "Authorization: Basic dXNlcjpwYXNz")]
    [InlineData("Negotiate", "Authorization: Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXag")]
    [InlineData("Digest", "Authorization: Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"x\"")]
    [InlineData("empty value", "Authorization: ")]
    [InlineData("blank value", "Authorization:    ")]
    [InlineData("two Basic lines", "Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic eDp5")]
    public async Task OtherScheme_IsAnonymous_OnTheCallersAddressBudget(string kind, params string[] headers)
    {
        var client = NextClient();
        var before = _fixture.Upstream.Counter.Total;

        // The gateway authenticates bearer tokens only; another scheme is for the backend to judge, and the caller is
        // limited as anonymous, by address. Three plain requests from the same address then share that budget.
        var first = await SendAsync("/api/orders/other-scheme", [.. headers, "X-Forwarded-For: " + client]);
        var plain = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            plain.Add((await SendAsync("/api/orders/other-scheme", ["X-Forwarded-For: " + client])).Status);
        }

        Assert.True(first.Status == HttpStatusCode.OK, $"{kind}: got {(int)first.Status}");
        Assert.Equal(AnonymousPolicy, first.Header("RateLimit-Policy"));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], plain);
        Assert.Equal(3, _fixture.Upstream.Counter.Total - before);
    }

    /// <summary>
    /// Spellings of a header carrying a valid token: each is either refused or counted on the token's subject, so
    /// none is a way to a second budget. (Kestrel joins repeated lines, skipping empty ones, before the handler reads them.)
    /// </summary>
    [Theory]
    [InlineData("lower-case scheme", "Authorization: bearer {token}")]
    [InlineData("upper-case scheme", "Authorization: BEARER {token}")]
    [InlineData("two spaces", "Authorization: Bearer  {token}")]
    [InlineData("trailing spaces", "Authorization: Bearer {token}   ")]
    [InlineData("tab after scheme", "Authorization: Bearer\t{token}")]
    [InlineData("second line empty", "Authorization: Bearer {token}", "Authorization: ")]
    [InlineData("no space after colon", "Authorization:Bearer {token}")]
    public async Task ValidTokenSpelledOddly_IsRefusedOrCountedOnItsSubject(string kind, params string[] template)
    {
        var token = TestTokens.Create("odd-spelling-" + Guid.NewGuid().ToString("N"), "free");
        var before = _fixture.Upstream.Counter.Total;

        var odd = await SendAsync("/api/orders/spelling", template.Select(line => line.Replace("{token}", token, StringComparison.Ordinal)).ToArray());
        var canonical = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            canonical.Add((await SendAsync("/api/orders/spelling", ["Authorization: Bearer " + token])).Status);
        }

        // 401: refused outright, and the canonical five get the whole budget. 200: it was the subject's (free tier),
        // so the canonical five get four of five.
        Assert.True(odd.Status is HttpStatusCode.OK or HttpStatusCode.Unauthorized, $"{kind}: got {(int)odd.Status}");
        if (odd.Status == HttpStatusCode.OK)
        {
            Assert.Equal(FreeTierPolicy, odd.Header("RateLimit-Policy"));
        }

        var admitted = canonical.Count(s => s == HttpStatusCode.OK) + (odd.Status == HttpStatusCode.OK ? 1 : 0);
        Assert.Equal(5, admitted);
        Assert.Equal(5, _fixture.Upstream.Counter.Total - before);
    }

    /// <summary>
    /// Tokens the gateway's own issuer signed, with subjects no sane issuer would mint. Each is refused, or limited
    /// like any subject: five, then 429. The subject's key is hashed when it is long or holds braces or control
    /// characters; nothing here may make a 5xx of it.
    /// </summary>
    [Theory]
    [InlineData("blank")]
    [InlineData("braces")]
    [InlineData("non-ASCII")]
    [InlineData("control characters")]
    [InlineData("2000 characters")]
    [InlineData("looks like a partition key")]
    [InlineData("number")]
    [InlineData("array")]
    [InlineData("object")]
    [InlineData("boolean")]
    [InlineData("null")]
    public async Task SignedTokenWithOddSubject_IsRefusedOrLimited_Never5xx(string kind)
    {
        var unique = Guid.NewGuid().ToString("N");
        object subject = kind switch
        {
            "blank" => "   ",
            "braces" => "{" + unique + "}",
            "non-ASCII" => "\u00e5lice-\u2603-" + unique,
            "control characters" => "a\u0000b\r\n" + unique,
            "2000 characters" => unique + new string('s', 2000),
            "looks like a partition key" => "orders|ip:127.0.0.1|" + unique,
            "number" => 1_234_567_890_123L,
            "array" => new[] { "first-" + unique, "second-" + unique },
            "object" => new Dictionary<string, object> { ["id"] = unique },
            "boolean" => true,
            "null" => null!,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var token = TestTokens.Create("placeholder", "free", extraClaims: new Dictionary<string, object> { ["sub"] = subject });
        var before = _fixture.Upstream.Counter.Total;

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add((await SendAsync("/api/orders/odd-subject", ["Authorization: Bearer " + token])).Status);
        }

        var refused = statuses.All(s => s == HttpStatusCode.Unauthorized);
        var limited = statuses.SequenceEqual([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests]);
        Assert.True(refused || limited, $"{kind}: {string.Join(", ", statuses.Select(s => (int)s))}");
        Assert.Equal(refused ? 0 : 5, _fixture.Upstream.Counter.Total - before);
    }

    private static Dictionary<string, string[]> BuildBearerLikeHeaders()
    {
        static string B64(string text) => Base64UrlEncoder.Encode(text);

        var valid = TestTokens.Create("malformed-auth-user", "free");
        var parts = valid.Split('.');
        // Seeded, so every run sends the same bytes.
        var random = new Random(20261127);
        var bytes5000 = new byte[5000];
        random.NextBytes(bytes5000);
        var bytes12000 = new byte[12_000];
        random.NextBytes(bytes12000);

        return new Dictionary<string, string[]>
        {
            ["scheme only"] = ["Authorization: Bearer"],
            ["scheme and space"] = ["Authorization: Bearer "],
            ["three words"] = ["Authorization: Bearer a b c"],
            ["scheme glued to token"] = ["Authorization: Bearer" + valid],
            ["5000 random bytes in base64"] = ["Authorization: Bearer " + Convert.ToBase64String(bytes5000)],
            ["12000 random bytes, over MaxTokenBytes"] = ["Authorization: Bearer " + Convert.ToBase64String(bytes12000)],
            ["parts not base64"] = ["Authorization: Bearer !!!.@@@.###"],
            ["header JSON cut short"] = [$"Authorization: Bearer {B64("{\"alg\":\"HS256\",")}.{parts[1]}.{parts[2]}"],
            ["header JSON an array"] = [$"Authorization: Bearer {B64("[]")}.{parts[1]}.{parts[2]}"],
            ["header JSON null"] = [$"Authorization: Bearer {B64("null")}.{parts[1]}.{parts[2]}"],
            ["header JSON nested 1500 deep"] = [$"Authorization: Bearer {B64(new string('[', 1500) + new string(']', 1500))}.{parts[1]}.{parts[2]}"],
            ["header kid an object"] = [$"Authorization: Bearer {B64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":{\"a\":[1]}}")}.{parts[1]}.{parts[2]}"],
            ["header with jku and x5u"] = [$"Authorization: Bearer {B64("{\"alg\":\"RS256\",\"jku\":\"http://127.0.0.1:9/k\",\"x5u\":\"http://127.0.0.1:9/x\"}")}.{parts[1]}.{parts[2]}"],
            ["payload JSON cut short"] = [$"Authorization: Bearer {parts[0]}.{B64("{\"sub\":")}.{parts[2]}"],
            ["two parts"] = [$"Authorization: Bearer {parts[0]}.{parts[1]}"],
            ["5000 dots"] = ["Authorization: Bearer " + new string('.', 5000)],
            ["JWE, direct key"] = [$"Authorization: Bearer {B64("{\"alg\":\"dir\",\"enc\":\"A128CBC-HS256\"}")}..AAAA.AAAA.AAAA"],
            ["JWE, compressed"] = [$"Authorization: Bearer {B64("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\",\"zip\":\"DEF\"}")}.AAAA.AAAA.AAAA.AAAA"],
            ["non-ASCII token"] = ["Authorization: Bearer \u00e9\u00e9.\u00e9.\u00e9"],
            ["valid token with non-ASCII appended"] = [$"Authorization: Bearer {valid}\u00e9"],
            ["non-ASCII in JSON"] = [$"Authorization: Bearer {B64("{\"alg\":\"HS256\",\"typ\":\"\u2603\"}")}.{parts[1]}.{parts[2]}"],
            ["control character"] = ["Authorization: Bearer a\u0001b"],
            ["two valid tokens on two lines"] = ["Authorization: Bearer " + valid, "Authorization: Bearer " + valid],
            ["two valid tokens on one line"] = [$"Authorization: Bearer {valid}, Bearer {valid}"],
            ["valid token then Basic"] = ["Authorization: Bearer " + valid, "Authorization: Basic dXNlcjpwYXNz"],
            ["Basic then valid token"] = ["Authorization: Basic dXNlcjpwYXNz", "Authorization: Bearer " + valid],
            ["garbage token then valid token"] = ["Authorization: Bearer not-a-jwt", "Authorization: Bearer " + valid],
        };
    }

    /// <summary>A client address no other test of the class uses.</summary>
    private static string NextClient()
    {
        var n = Interlocked.Increment(ref _nextClient);
        return $"10.60.{n >> 8}.{n & 255}";
    }

    private Task<RawResponse> SendAsync(string path, IEnumerable<string> headerLines) =>
        RawHttp.SendAsync(_fixture.Gateway.Address, path, headerLines);
}
