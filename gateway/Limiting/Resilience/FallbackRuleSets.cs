using System.Runtime.CompilerServices;
using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// A policy's rules divided among the live instances, for local fallback: each instance enforcing limit / N keeps the
/// total near the limit while the instances cannot share counters. A share is never below the request's cost (capped
/// at what the rule can ever admit): an instance can always admit one request a window, so a share that rounds below
/// the cost never refuses forever, nor promises in <c>Retry-After</c> an admission that cannot come. The price is
/// documented: where limit &lt; N x cost, an outage admits up to N requests a window. Built once per rule set,
/// instance count and cost, and cached.
/// </summary>
internal static class FallbackRuleSets
{
    private static readonly ConditionalWeakTable<RuleSet, StrongBox<Scaled[]?>> Cache = new();

    public static RuleSet For(RuleSet rules, int instances, long cost)
    {
        if (instances <= 1)
        {
            return rules;
        }

        // Costs at or below every share give the same rules: they share one cache entry.
        var floor = cost <= SmallestShare(rules, instances) ? 1 : cost;
        var box = Cache.GetValue(rules, static _ => new StrongBox<Scaled[]?>(null));
        // An immutable array swapped by reference: a reader racing a writer sees the old array or the new, never half.
        var entries = Volatile.Read(ref box.Value) ?? [];
        foreach (var entry in entries)
        {
            if (entry.Instances == instances && entry.Floor == floor)
            {
                return entry.Rules;
            }
        }

        var scaled = new RuleSet(
            rules.PolicyName,
            rules.Source,
            [.. rules.Rules.Select(rule => new RateLimitRule(
                rule.Name, rule.Algorithm, Share(rule.Limit, instances, floor), rule.Window, Share(rule.Burst, instances, floor)))]);
        // Entries for another instance count are stale: keep only this count's, a handful at most (one per route cost).
        Volatile.Write(ref box.Value, [.. entries.Where(e => e.Instances == instances).Take(7), new Scaled(instances, floor, scaled)]);
        return scaled;
    }

    private static long Share(long quantity, int instances, long floor) => Math.Max(quantity / instances, Math.Min(Math.Max(1, floor), quantity));

    private static long SmallestShare(RuleSet rules, int instances)
    {
        var smallest = long.MaxValue;
        foreach (var rule in rules.Rules)
        {
            smallest = Math.Min(smallest, Math.Max(1, rule.Capacity / instances));
        }

        return smallest;
    }

    private sealed record Scaled(int Instances, long Floor, RuleSet Rules);
}
