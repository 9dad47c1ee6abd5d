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
    private static readonly ConditionalWeakTable<RuleSet, StrongBox<Scaled?>> Cache = new();

    public static RuleSet For(RuleSet rules, int instances)
    {
        if (instances <= 1)
        {
            return rules;
        }

        // One immutable pair swapped by reference: a reader racing a writer sees the old pair or the new, never half of each.
        var box = Cache.GetValue(rules, static _ => new StrongBox<Scaled?>(null));
        if (Volatile.Read(ref box.Value) is { } cached && cached.Instances == instances)
        {
            return cached.Rules;
        }

        var scaled = new RuleSet(
            rules.PolicyName,
            rules.Source,
            [.. rules.Rules.Select(rule => new RateLimitRule(
                rule.Name, rule.Algorithm, Math.Max(1, rule.Limit / instances), rule.Window, Math.Max(1, rule.Burst / instances)))]);
        Volatile.Write(ref box.Value, new Scaled(instances, scaled));
        return scaled;
    }

    private sealed record Scaled(int Instances, RuleSet Rules);
}
