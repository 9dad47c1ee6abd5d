using Microsoft.IdentityModel.Tokens;

namespace Gateway.Identity;

/// <summary>
/// Token validation as configured under <c>Authentication:Schemes:Bearer</c> (ASP.NET Core's own JwtBearer
/// section, plus <c>PublicKeys</c>, <c>ValidAlgorithms</c>, <c>ClockSkew</c> and <c>MaxTokenBytes</c>). Immutable.
/// </summary>
/// <param name="ValidIssuers">Accepted <c>iss</c> values; at least one.</param>
/// <param name="ValidAudiences">Accepted <c>aud</c> values; at least one.</param>
/// <param name="SigningKeys">Verification keys, each optionally bound to the one issuer allowed to use it.</param>
/// <param name="ValidAlgorithms">The pinned signature algorithms; nothing else is accepted, <c>none</c> never.</param>
/// <param name="ClockSkew">Tolerance on <c>exp</c>/<c>nbf</c> for clock differences with the token issuer.</param>
/// <param name="MaxTokenBytes">Longer tokens are refused before any parsing.</param>
/// <param name="Authority">When set, keys also come from the issuer's OpenID Connect discovery document.</param>
public sealed record JwtBearerSettings(
    IReadOnlyList<string> ValidIssuers,
    IReadOnlyList<string> ValidAudiences,
    IReadOnlyList<IssuerKey> SigningKeys,
    IReadOnlyList<string> ValidAlgorithms,
    TimeSpan ClockSkew,
    int MaxTokenBytes,
    string? Authority)
{
    public const string SectionName = "Authentication:Schemes:Bearer";

    public bool CanValidateTokens => SigningKeys.Count > 0 || Authority is not null;
}

/// <summary>A verification key and the issuer it belongs to (null: any configured issuer).</summary>
public sealed record IssuerKey(SecurityKey Key, string? Issuer);
