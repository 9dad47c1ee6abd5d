using System.Runtime.CompilerServices;
using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// A policy's rules divided among the live instances, for local fallback: each instance enforcing limit / N keeps the
/// total near the limit while the instances cannot share counters. Never below 1 per rule (a limit smaller than the
/// instance count is exceeded up to N-fold: one permit per instance). Built once per rule set and instance count.
/// </summary>
internal static class FallbackRuleSets
{
    private static readonly ConditionalWeakTable<RuleSet, StrongBox<(int Instances, RuleSet Rules)>> Cache = new();

    public static RuleSet For(RuleSet rules, int instances)
    {
        if (instances <= 1)
        {
            return rules;
        }

        var box = Cache.GetValue(rules, static _ => new StrongBox<(int, RuleSet)>((0, null!)));
        var cached = box.Value;
        if (cached.Instances == instances)
        {
            return cached.Rules;
        }

        var scaled = new RuleSet(
            rules.PolicyName,
            rules.Source,
            [.. rules.Rules.Select(rule => new RateLimitRule(
                rule.Name, rule.Algorithm, Math.Max(1, rule.Limit / instances), rule.Window, Math.Max(1, rule.Burst / instances)))]);
        box.Value = (instances, scaled);
        return scaled;
    }
}
