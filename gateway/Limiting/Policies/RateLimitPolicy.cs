using System.Collections.Frozen;
using Gateway.Limiting.Resilience;

namespace Gateway.Limiting.Policies;

/// <summary>A named set of limits, with rules per tier. Immutable.</summary>
public sealed class RateLimitPolicy
{
    public RateLimitPolicy(
        string name,
        PolicyScope scope,
        AnonymousAccess anonymous,
        FrozenDictionary<string, RuleSet> tiers,
        RuleSet defaultTierRules,
        bool leases = true,
        FailureMode failureMode = FailureMode.LocalFallback,
        bool refundBackendFailures = false,
        bool dryRun = false)
    {
        DryRun = dryRun;
        RefundBackendFailures = refundBackendFailures;
        FailureMode = failureMode;
        Leases = leases;
        Name = name;
        Scope = scope;
        Anonymous = anonymous;
        Tiers = tiers;
        DefaultTierRules = defaultTierRules;
    }

    public string Name { get; }

    public PolicyScope Scope { get; }

    public AnonymousAccess Anonymous { get; }

    /// <summary>
    /// Whether decisions may be served from local quota leases (Redis store). Off, every request is one store call:
    /// exact to the permit at any instant, for policies whose limits are tiny or whose cost per request is high.
    /// </summary>
    public bool Leases { get; }

    /// <summary>
    /// Whether a request whose backend never answered (the proxy's own 502, 503 or 504) gets its permits back. Off by
    /// default: a failing backend then also sheds retry storms.
    /// </summary>
    public bool RefundBackendFailures { get; }

    /// <summary>
    /// Evaluated, logged and counted, never enforced: a request the policy would refuse is forwarded anyway (and takes
    /// nothing, as any refused request). For rolling out a new limit safely.
    /// </summary>
    public bool DryRun { get; }

    /// <summary>What the policy does while the shared store cannot decide.</summary>
    public FailureMode FailureMode { get; }

    /// <summary>Rules per tier name (case-insensitive, as configuration keys are).</summary>
    public FrozenDictionary<string, RuleSet> Tiers { get; }

    /// <summary>
    /// The rules of the default tier. A caller whose tier the policy does not name gets these, never no limit:
    /// a typo in an identity provider's claim must not turn into unlimited access.
    /// </summary>
    public RuleSet DefaultTierRules { get; }

    /// <summary>Whose counters a caller spends: <c>{policy}|{subject key}</c>, or <c>{policy}</c> for a global policy.</summary>
    public string PartitionKey(string subjectKey) => Scope == PolicyScope.Global ? Name : $"{Name}|{subjectKey}";

    public RuleSet RulesForTier(string tier) => Tiers.TryGetValue(tier, out var rules) ? rules : DefaultTierRules;
}
