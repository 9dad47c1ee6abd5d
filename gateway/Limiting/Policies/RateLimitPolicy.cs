using System.Collections.Frozen;

namespace Gateway.Limiting.Policies;

/// <summary>A named set of limits, with rules per tier. Immutable.</summary>
public sealed class RateLimitPolicy
{
    public RateLimitPolicy(
        string name,
        PolicyScope scope,
        AnonymousAccess anonymous,
        FrozenDictionary<string, RuleSet> tiers,
        RuleSet defaultTierRules)
    {
        Name = name;
        Scope = scope;
        Anonymous = anonymous;
        Tiers = tiers;
        DefaultTierRules = defaultTierRules;
    }

    public string Name { get; }

    public PolicyScope Scope { get; }

    public AnonymousAccess Anonymous { get; }

    /// <summary>Rules per tier name (case-insensitive, as configuration keys are).</summary>
    public FrozenDictionary<string, RuleSet> Tiers { get; }

    /// <summary>
    /// The rules of the default tier. A caller whose tier the policy does not name gets these, never no limit:
    /// a typo in an identity provider's claim must not turn into unlimited access.
    /// </summary>
    public RuleSet DefaultTierRules { get; }

    public RuleSet RulesForTier(string tier) => Tiers.TryGetValue(tier, out var rules) ? rules : DefaultTierRules;
}
