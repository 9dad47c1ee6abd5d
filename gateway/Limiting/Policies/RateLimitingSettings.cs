using System.Collections.Frozen;
using Gateway.Identity;
using Gateway.Limiting.Storage;

namespace Gateway.Limiting.Policies;

/// <summary>
/// One immutable snapshot of the <c>RateLimiting</c> section. A reload builds a new snapshot and swaps it in
/// whole, so a request sees one consistent configuration from start to end.
/// </summary>
public sealed class RateLimitingSettings
{
    public RateLimitingSettings(
        IdentitySettings identity,
        StoreSettings store,
        RateLimitHeaderSettings headers,
        FrozenDictionary<string, RateLimitPolicy> policies,
        FrozenDictionary<string, FrozenDictionary<string, RuleSet>> overrides)
    {
        Identity = identity;
        Store = store;
        Headers = headers;
        Policies = policies;
        Overrides = overrides;
    }

    public IdentitySettings Identity { get; }

    /// <summary>Who may use the admin API: section <c>RateLimiting:Admin</c>.</summary>
    public AdminSettings Admin { get; init; } = AdminSettings.Default;

    public StoreSettings Store { get; }

    public RateLimitHeaderSettings Headers { get; }

    /// <summary>Policies by name (case-insensitive, as configuration keys are).</summary>
    public FrozenDictionary<string, RateLimitPolicy> Policies { get; }

    /// <summary>Per-subject rules: subject, then policy name.</summary>
    public FrozenDictionary<string, FrozenDictionary<string, RuleSet>> Overrides { get; }

    /// <summary>The rules for a caller: an override for the subject beats the tier's rules.</summary>
    public RuleSet ResolveRules(RateLimitPolicy policy, string? subject, string tier)
    {
        if (subject is not null
            && Overrides.TryGetValue(subject, out var bySubject)
            && bySubject.TryGetValue(policy.Name, out var overridden))
        {
            return overridden;
        }

        return policy.RulesForTier(tier);
    }
}
