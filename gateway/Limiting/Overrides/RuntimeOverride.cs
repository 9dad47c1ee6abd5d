using System.Collections.Frozen;
using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Overrides;

/// <summary>Custom rules for one subject set through the admin API: per policy, optionally until a time. Immutable.</summary>
/// <param name="Subject">The subject exactly as its tokens carry it (matched case-sensitively).</param>
/// <param name="Policies">Rules per policy name.</param>
/// <param name="ExpiresAt">When the override stops applying; null for never.</param>
/// <param name="Document">The stored JSON, as the API returns it.</param>
internal sealed record RuntimeOverride(string Subject, FrozenDictionary<string, RuleSet> Policies, DateTimeOffset? ExpiresAt, string Document)
{
    public bool IsActive(DateTimeOffset now) => ExpiresAt is not { } expiry || now < expiry;
}
