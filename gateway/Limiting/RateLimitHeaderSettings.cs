namespace Gateway.Limiting;

/// <summary>Section <c>RateLimiting:Headers</c>.</summary>
/// <param name="Legacy">Also send <c>X-RateLimit-Limit/Remaining/Reset</c> for clients that predate the IETF fields.</param>
public sealed record RateLimitHeaderSettings(bool Legacy);
