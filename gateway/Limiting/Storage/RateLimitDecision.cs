using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Storage;

/// <summary>The outcome of one <see cref="IRateLimitStore.AcquireAsync"/>: admitted or not, and every rule's state after it.</summary>
public sealed class RateLimitDecision
{
    public RateLimitDecision(RuleSet rules, RuleResult[] results)
    {
        if (results.Length != rules.Rules.Length)
        {
            throw new ArgumentException("One result per rule is required.", nameof(results));
        }

        Rules = rules;
        Results = results;
        Allowed = Array.TrueForAll(results, static r => r.Allowed);
        DecidingRuleIndex = Allowed ? MostRestrictive(results) : LongestRetry(results);
    }

    public bool Allowed { get; }

    public RuleSet Rules { get; }

    public IReadOnlyList<RuleResult> Results { get; }

    /// <summary>
    /// The rule that decided: when denied, the rejecting rule that admits last (waiting for it satisfies every
    /// rule); when allowed, the rule with the fewest permits left. The legacy single-value headers describe it.
    /// </summary>
    public int DecidingRuleIndex { get; }

    public RateLimitRule DecidingRule => Rules.Rules[DecidingRuleIndex];

    public RuleResult DecidingResult => Results[DecidingRuleIndex];

    /// <summary>When denied: until every rejecting rule admits this cost again, in microseconds.</summary>
    public long RetryAfterMicroseconds => Allowed ? 0 : Results[DecidingRuleIndex].RetryAfter;

    private static int MostRestrictive(RuleResult[] results)
    {
        var best = 0;
        for (var i = 1; i < results.Length; i++)
        {
            if (results[i].Remaining < results[best].Remaining
                || (results[i].Remaining == results[best].Remaining && results[i].ResetAfter > results[best].ResetAfter))
            {
                best = i;
            }
        }

        return best;
    }

    private static int LongestRetry(RuleResult[] results)
    {
        var best = -1;
        for (var i = 0; i < results.Length; i++)
        {
            if (!results[i].Allowed && (best < 0 || results[i].RetryAfter > results[best].RetryAfter))
            {
                best = i;
            }
        }

        return best;
    }
}
