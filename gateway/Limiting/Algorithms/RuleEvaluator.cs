using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Algorithms;

/// <summary>Dispatches to the rule's algorithm.</summary>
public static class RuleEvaluator
{
    public static RuleEvaluation Evaluate(in RuleState state, RateLimitRule rule, long now, long cost) => rule.Algorithm switch
    {
        RateLimitAlgorithm.FixedWindow => FixedWindowAlgorithm.Evaluate(state, rule, now, cost),
        RateLimitAlgorithm.SlidingWindow => SlidingWindowAlgorithm.Evaluate(state, rule, now, cost),
        RateLimitAlgorithm.TokenBucket => TokenBucketAlgorithm.Evaluate(state, rule, now, cost),
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Algorithm, "Unknown algorithm."),
    };
}
