using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Algorithms;

/// <summary>
/// A token bucket: refills <c>Limit</c> tokens per <c>Window</c>, continuously, up to <c>Burst</c>; a request
/// takes <c>cost</c> tokens. A fresh bucket is full, so a client may burst up to <c>Burst</c> at once and then
/// sustain <c>Limit</c> per <c>Window</c>.
/// </summary>
public static class TokenBucketAlgorithm
{
    public static RuleEvaluation Evaluate(in RuleState state, RateLimitRule rule, long now, long cost)
    {
        var microsPerToken = (double)rule.WindowMicroseconds / rule.Limit;
        var capacity = (double)rule.Burst;
        var tokens = capacity;
        if (state.Initialized)
        {
            // A clock that steps back must not mint or burn tokens.
            var elapsed = Math.Max(0, now - state.WindowStart);
            tokens = Math.Min(capacity, state.Tokens + (elapsed / microsPerToken));
        }

        var allowed = tokens + MathUtil.Epsilon >= cost;
        var after = allowed ? tokens - cost : tokens;
        var next = new RuleState { Initialized = true, WindowStart = now, Tokens = after };

        long retryAfter = 0;
        if (!allowed)
        {
            retryAfter = cost > rule.Burst
                ? MathUtil.CeilMicros((capacity - tokens) * microsPerToken)
                : MathUtil.CeilMicros((cost - tokens) * microsPerToken);
        }

        return new RuleEvaluation(
            allowed,
            Remaining: (long)Math.Floor(tokens + MathUtil.Epsilon),
            ResetAfter: MathUtil.CeilMicros((capacity - tokens) * microsPerToken),
            RetryAfter: retryAfter,
            next,
            // A bucket that has refilled to capacity is the same as no state at all.
            NextStateExpiresAt: now + MathUtil.CeilMicros((capacity - after) * microsPerToken));
    }
}
