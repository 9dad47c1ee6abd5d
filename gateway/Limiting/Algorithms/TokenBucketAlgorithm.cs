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
        var tokens = TokensAt(state, capacity, microsPerToken, now);
        var allowed = Admits(tokens, cost);
        var after = allowed ? tokens - cost : tokens;
        // The refill time never moves back: a clock that stepped back must not refill the same span twice.
        var last = state.Initialized ? Math.Max(now, state.WindowStart) : now;
        var next = new RuleState { Initialized = true, WindowStart = last, Tokens = after };

        long retryAfter = 0;
        if (!allowed)
        {
            retryAfter = cost > rule.Burst
                ? MathUtil.CeilMicros((capacity - tokens) * microsPerToken)
                : FirstAdmittingDelay(state, capacity, microsPerToken, now, tokens, cost);
        }

        return new RuleEvaluation(
            allowed,
            Remaining: (long)Math.Floor(tokens + MathUtil.Epsilon),
            ResetAfter: MathUtil.CeilMicros((capacity - tokens) * microsPerToken),
            RetryAfter: retryAfter,
            next,
            // A bucket that has refilled to capacity is the same as no state at all.
            NextStateExpiresAt: last + MathUtil.CeilMicros((capacity - after) * microsPerToken));
    }

    private static double TokensAt(in RuleState state, double capacity, double microsPerToken, long now)
    {
        if (!state.Initialized)
        {
            return capacity;
        }

        // A clock that steps back must not mint or burn tokens.
        var elapsed = Math.Max(0, now - state.WindowStart);
        return Math.Min(capacity, state.Tokens + (elapsed / microsPerToken));
    }

    private static bool Admits(double tokens, long cost) => tokens + MathUtil.Epsilon >= cost;

    /// <summary>
    /// The first whole microsecond from now at which <see cref="Admits"/> passes for this state. The closed form
    /// (tolerance included) lands on it or next to it; float rounding of the stored tokens can put it a microsecond
    /// off, so step onto the instant the admission test itself first passes (tokens only grow with time). A clock
    /// that stepped back behind the last refill refills nothing until it is past it again.
    /// </summary>
    private static long FirstAdmittingDelay(in RuleState state, double capacity, double microsPerToken, long now, double tokens, long cost)
    {
        var idle = Math.Max(0, state.WindowStart - now);
        var delay = Math.Max(1, idle + MathUtil.CeilMicros((cost - tokens - MathUtil.Epsilon) * microsPerToken));
        for (var step = 0; step < MathUtil.MaxRetryAfterSteps && delay > 1
            && Admits(TokensAt(state, capacity, microsPerToken, now + delay - 1), cost); step++)
        {
            delay--;
        }

        for (var step = 0; step < MathUtil.MaxRetryAfterSteps
            && !Admits(TokensAt(state, capacity, microsPerToken, now + delay), cost); step++)
        {
            delay++;
        }

        return delay;
    }
}
