using System.Diagnostics.CodeAnalysis;
using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Storage;

/// <summary>
/// The outcome of one <see cref="IRateLimitStore.AcquireAsync"/>: admitted or not, and every rule's state after it.
/// A value type that holds up to <see cref="InlineRuleCount"/> rule results inline: a decision, whether served from a
/// lease or made by the in-memory store, allocates nothing. Longer rule sets spill into an array.
/// </summary>
public readonly struct RateLimitDecision
{
    /// <summary>Rule results held without an array; policies rarely have more rules than this.</summary>
    public const int InlineRuleCount = 4;

    private readonly RuleResultBuffer _inline;
    private readonly RuleResult[]? _overflow;

    public RateLimitDecision(RuleSet rules, ReadOnlySpan<RuleResult> results, DecisionBasis basis = DecisionBasis.Shared)
    {
        Basis = basis;
        if (results.Length != rules.Rules.Length)
        {
            throw new ArgumentException("One result per rule is required.", nameof(results));
        }

        Rules = rules;
        if (results.Length <= InlineRuleCount)
        {
            results.CopyTo(_inline);
        }
        else
        {
            _overflow = results.ToArray();
        }

        var allowed = true;
        foreach (var result in results)
        {
            allowed &= result.Allowed;
        }

        Allowed = allowed && basis != DecisionBasis.Unavailable;
        DecidingRuleIndex = allowed ? MostRestrictive(results) : LongestRetry(results);
    }

    public bool Allowed { get; }

    /// <summary>Shared counters, or which failure mode stood in for them.</summary>
    public DecisionBasis Basis { get; }

    public RuleSet Rules { get; }

    /// <summary>One result per rule of <see cref="Rules"/>, in the same order.</summary>
    [UnscopedRef]
    public ReadOnlySpan<RuleResult> Results => _overflow ?? ((ReadOnlySpan<RuleResult>)_inline)[..Rules.Rules.Length];

    /// <summary>
    /// The rule that decided: when denied, the rejecting rule that admits last (waiting for it satisfies every
    /// rule); when allowed, the rule with the fewest permits left. The legacy single-value headers describe it.
    /// </summary>
    public int DecidingRuleIndex { get; }

    public RateLimitRule DecidingRule => Rules.Rules[DecidingRuleIndex];

    public RuleResult DecidingResult => Result(DecidingRuleIndex);

    /// <summary>When denied: until every rejecting rule admits this cost again, in microseconds.</summary>
    public long RetryAfterMicroseconds => Allowed ? 0 : DecidingResult.RetryAfter;

    /// <summary>Admitted without a decision (failure mode FailOpen).</summary>
    public static RateLimitDecision FailedOpen(RuleSet rules) => Uniform(rules, DecisionBasis.FailOpen);

    /// <summary>Refused for want of a decision (failure mode FailClosed).</summary>
    public static RateLimitDecision Unavailable(RuleSet rules) => Uniform(rules, DecisionBasis.Unavailable);

    public RuleResult Result(int index) => _overflow is { } overflow ? overflow[index] : _inline[index];

    private static RateLimitDecision Uniform(RuleSet rules, DecisionBasis basis)
    {
        var count = rules.Rules.Length;
        Span<RuleResult> results = count <= 16 ? stackalloc RuleResult[count] : new RuleResult[count];
        for (var i = 0; i < count; i++)
        {
            results[i] = new RuleResult(true, rules.Rules[i].Limit, 0, 0);
        }

        return new RateLimitDecision(rules, results, basis);
    }

    private static int MostRestrictive(ReadOnlySpan<RuleResult> results)
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

    private static int LongestRetry(ReadOnlySpan<RuleResult> results)
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
