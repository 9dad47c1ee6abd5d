using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>Keys and tokens for tests: a symmetric test key and an RSA pair the gateway under test trusts.</summary>
public static class TestTokens
{
    public const string Issuer = "gateway-tests";
    public const string Audience = "gateway-tests-api";

    /// <summary>Test-only HMAC key (256 bits), also written into the test gateway's config.</summary>
    public static readonly string SymmetricKeyBase64 = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("gateway-integration-tests-key")));

    public static readonly RSA Rsa = CreateRsa();

    public static string RsaPublicKeyPem => Rsa.ExportSubjectPublicKeyInfoPem();

    public static string Create(
        string subject,
        string? tier = null,
        string issuer = Issuer,
        string audience = Audience,
        DateTime? expires = null,
        DateTime? notBefore = null,
        SigningCredentials? credentials = null,
        IDictionary<string, object>? extraClaims = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject };
        if (tier is not null)
        {
            claims["tier"] = tier;
        }

        foreach (var (key, value) in extraClaims ?? new Dictionary<string, object>())
        {
            claims[key] = value;
        }

        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = notBefore ?? now.AddMinutes(-1),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            Expires = expires ?? now.AddHours(1),
            SigningCredentials = credentials ?? SymmetricCredentials(SymmetricKeyBase64),
        });
    }

    public static SigningCredentials SymmetricCredentials(string base64Key) =>
        new(new SymmetricSecurityKey(Convert.FromBase64String(base64Key)), SecurityAlgorithms.HmacSha256);

    public static SigningCredentials RsaCredentials() => new(new RsaSecurityKey(Rsa), SecurityAlgorithms.RsaSha256);

    /// <summary>A token with <c>alg: none</c> and no signature, as an attacker would send it.</summary>
    public static string Unsigned(string subject, string tier)
    {
        static string B64(string json) => Base64UrlEncoder.Encode(json);
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"sub\":\"{subject}\",\"tier\":\"{tier}\",\"iss\":\"{Issuer}\",\"aud\":\"{Audience}\",\"exp\":{exp}}}")}.";
    }

    /// <summary>
    /// The classic key-confusion attack: an HS256 token whose HMAC secret is the server's RSA public key. A verifier
    /// that lets the token choose the algorithm would accept it.
    /// </summary>
    public static string Hs256SignedWithPublicKey(string subject, string tier)
    {
        var secret = Encoding.UTF8.GetBytes(RsaPublicKeyPem);
        return Create(subject, tier, credentials: new SigningCredentials(new SymmetricSecurityKey(secret), SecurityAlgorithms.HmacSha256));
    }

    private static RSA CreateRsa() => RSA.Create(2048);
}
