namespace Gateway.Limiting.Policies;

/// <summary>
/// The rule sets of the snapshot in force, found by value. A reload reads every rule set afresh; those equal to one
/// the previous snapshot had are swapped for that one, so an edit that leaves a policy's rules as they were (a
/// comment, another policy, a log level) keeps the same objects, and with them the leases, cached refusals and
/// fallback counters keyed by them. A changed rule set is a new object and starts afresh, as it must.
/// </summary>
internal sealed class RuleSetPool
{
    private readonly Dictionary<RuleSet, RuleSet> _byValue = new(RuleSetValueComparer.Instance);

    private RuleSetPool()
    {
    }

    /// <summary>A pool that reuses nothing (the first read at start-up).</summary>
    public static RuleSetPool Empty { get; } = new();

    /// <summary>Every rule set of <paramref name="settings"/>: each tier of each policy and each configured override.</summary>
    public static RuleSetPool From(RateLimitingSettings settings)
    {
        var pool = new RuleSetPool();
        foreach (var policy in settings.Policies.Values)
        {
            foreach (var rules in policy.Tiers.Values)
            {
                pool._byValue.TryAdd(rules, rules);
            }
        }

        foreach (var bySubject in settings.Overrides.Values)
        {
            foreach (var rules in bySubject.Values)
            {
                pool._byValue.TryAdd(rules, rules);
            }
        }

        return pool;
    }

    /// <summary>The pooled rule set equal to <paramref name="candidate"/>, or the candidate itself.</summary>
    public RuleSet Reuse(RuleSet candidate) => _byValue.TryGetValue(candidate, out var existing) ? existing : candidate;
}
