using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.LoadTests.Identity;

/// <summary>
/// Mints the bearer tokens load needs (one per subject and tier, cached: 10,000 subjects cost one signature each).
/// Signs with an HMAC key the gateway under load trusts: by default the development key of
/// <c>appsettings/appsettings.Development.json</c>.
/// </summary>
public sealed class TokenIssuer
{
    private readonly ConcurrentDictionary<(string Subject, string? Tier), string> _tokens = new();
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SigningCredentials _credentials;

    public TokenIssuer(string issuer, string audience, string base64Key)
    {
        Issuer = issuer;
        Audience = audience;
        _credentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(base64Key)), SecurityAlgorithms.HmacSha256);
    }

    public string Issuer { get; }

    public string Audience { get; }

    /// <summary>The issuer the gateway trusts in Development: first key, issuer and audience of the appsettings files.</summary>
    public static TokenIssuer Development(string appSettingsDirectory)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        using var baseFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(appSettingsDirectory, "appsettings.json")), options);
        using var development = JsonDocument.Parse(File.ReadAllText(Path.Combine(appSettingsDirectory, "appsettings.Development.json")), options);
        var bearer = development.RootElement.GetProperty("Authentication").GetProperty("Schemes").GetProperty("Bearer");
        var key = bearer.GetProperty("SigningKeys")[0];
        var audience = baseFile.RootElement.GetProperty("Authentication").GetProperty("Schemes").GetProperty("Bearer").GetProperty("ValidAudiences")[0].GetString()!;
        return new TokenIssuer(key.GetProperty("Issuer").GetString()!, audience, key.GetProperty("Value").GetString()!);
    }

    public string For(string subject, string? tier = null) => _tokens.GetOrAdd((subject, tier), Create);

    private string Create((string Subject, string? Tier) who)
    {
        var claims = new List<Claim> { new("sub", who.Subject) };
        if (who.Tier is not null)
        {
            claims.Add(new Claim("tier", who.Tier));
        }

        var now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.AddMinutes(-1),
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(4),
            SigningCredentials = _credentials,
        });
    }
}
