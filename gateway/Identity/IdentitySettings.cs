using Gateway.Limiting.Policies;

namespace Gateway.Identity;

/// <summary>How a request's subject and tier are read (section <c>RateLimiting:Identity</c>). Immutable.</summary>
/// <param name="SubjectClaim">Claim naming the subject (default <c>sub</c>).</param>
/// <param name="TierClaim">Claim naming the tier (default <c>tier</c>).</param>
/// <param name="DefaultTier">Tier of a token without the tier claim; every policy must define it.</param>
/// <param name="Anonymous">Default for callers without a token; a policy may override it.</param>
/// <param name="AnonymousTier">Tier of anonymous callers (default: <paramref name="DefaultTier"/>).</param>
/// <param name="KnownProxies">Addresses whose <c>X-Forwarded-For</c> is trusted. Read at start-up only.</param>
/// <param name="KnownNetworks">Networks (CIDR) whose <c>X-Forwarded-For</c> is trusted. Read at start-up only.</param>
public sealed record IdentitySettings(
    string SubjectClaim,
    string TierClaim,
    string DefaultTier,
    AnonymousAccess Anonymous,
    string AnonymousTier,
    IReadOnlyList<System.Net.IPAddress> KnownProxies,
    IReadOnlyList<System.Net.IPNetwork> KnownNetworks);
