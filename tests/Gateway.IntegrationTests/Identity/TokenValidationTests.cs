using System.Net;
using System.Security.Cryptography;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Identity;

/// <summary>Every kind of bad token is a 401 and never reaches the backend; good tokens of each key type pass.</summary>
public sealed class TokenValidationTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public TokenValidationTests(GatewayFixture fixture) => _fixture = fixture;

    public static TheoryData<string, string> BadTokens() => new()
    {
        { "garbage", "not-a-jwt" },
        { "three garbage parts", "aaa.bbb.ccc" },
        { "alg none", TestTokens.Unsigned("mallory", "pro") },
        { "wrong key", TestTokens.Create("mallory", "pro", credentials: TestTokens.SymmetricCredentials(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))) },
        { "expired", TestTokens.Create("mallory", "pro", expires: DateTime.UtcNow.AddMinutes(-10), notBefore: DateTime.UtcNow.AddHours(-1)) },
        { "not yet valid", TestTokens.Create("mallory", "pro", notBefore: DateTime.UtcNow.AddMinutes(10), expires: DateTime.UtcNow.AddHours(1)) },
        { "wrong audience", TestTokens.Create("mallory", "pro", audience: "someone-else") },
        { "wrong issuer", TestTokens.Create("mallory", "pro", issuer: "https://evil.example") },
        { "HS256 signed with the RSA public key", TestTokens.Hs256SignedWithPublicKey("mallory", "pro") },
        { "oversized", TestTokens.Create("mallory", "pro", extraClaims: new Dictionary<string, object> { ["pad"] = new string('x', 16_000) }) },
        { "truncated signature", TestTokens.Create("mallory", "pro")[..^5] },
        { "empty", string.Empty },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task BadToken_Answers401AndNeverReachesUpstream(string kind, string token)
    {
        var path = "/api/orders/bad-" + Guid.NewGuid().ToString("N");
        using var response = await _fixture.Gateway.Client.GetAsync(path, token: null,
            r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token));

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{kind}: got {(int)response.StatusCode}");
        Assert.Equal(0, _fixture.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task BadToken_OnUnlimitedRoute_Answers401()
    {
        using var response = await _fixture.Gateway.Client.GetAsync("/api/open/bad", "not-a-jwt");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task TokenSignedWithTrustedRsaKey_IsAccepted()
    {
        var token = TestTokens.Create("rsa-user", "pro", credentials: TestTokens.RsaCredentials());

        using var response = await _fixture.Gateway.Client.GetAsync("/api/orders/rsa", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"orders-1m\";q=50;w=60", response.Header("RateLimit-Policy"));
    }

    [Fact]
    public async Task TokenWithoutSubject_Answers401()
    {
        var token = TestTokens.Create(subject: "", tier: "pro");

        using var response = await _fixture.Gateway.Client.GetAsync("/api/orders/nosub", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task TokenWithoutTier_GetsDefaultTier()
    {
        var token = TestTokens.Create("tierless-user");

        using var response = await _fixture.Gateway.Client.GetAsync("/api/orders/tierless", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"orders-1m\";q=5;w=60, \"orders-1d\";q=20;w=86400", response.Header("RateLimit-Policy"));
    }
}
