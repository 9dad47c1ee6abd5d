using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Algorithms;

/// <summary>
/// The sliding window counter (Cloudflare's method): counts of the current and previous fixed windows, the
/// previous weighted by how much of it the sliding window still covers:
/// <c>estimate = previous * (window - elapsed) / window + current</c>. It assumes requests of the previous
/// window were spread evenly, so it can be off from a true sliding log by a fraction of the previous count;
/// in exchange it needs two counters per key instead of one entry per request.
/// </summary>
public static class SlidingWindowAlgorithm
{
    public static RuleEvaluation Evaluate(in RuleState state, RateLimitRule rule, long now, long cost)
    {
        var window = rule.WindowMicroseconds;
        var windowStart = now - MathUtil.Mod(now, window);
        var elapsed = now - windowStart;

        long current = 0, previous = 0;
        if (state.Initialized)
        {
            if (state.WindowStart == windowStart)
            {
                current = state.Count;
                previous = state.PreviousCount;
            }
            else if (state.WindowStart == windowStart - window)
            {
                previous = state.Count;
            }
        }

        var limit = (double)rule.Limit;
        var estimate = Estimate(previous, current, window, elapsed);
        var allowed = estimate + cost <= limit + MathUtil.Epsilon;

        var next = new RuleState
        {
            Initialized = true,
            WindowStart = windowStart,
            Count = allowed ? current + cost : current,
            PreviousCount = previous,
        };
        return new RuleEvaluation(
            allowed,
            Remaining: Math.Max(0, (long)Math.Floor(limit - estimate + MathUtil.Epsilon)),
            ResetAfter: window - elapsed,
            RetryAfter: allowed ? 0 : RetryAfter(previous, current, cost, rule.Limit, window, elapsed),
            next,
            // Once two windows pass, neither counter weighs anything any more.
            NextStateExpiresAt: windowStart + (2 * window));
    }

    /// <summary>The weighted count; the same expression, in the same order, as the Redis script uses.</summary>
    public static double Estimate(long previous, long current, long window, long elapsed) =>
        (previous * (double)(window - elapsed) / window) + current;

    private static long RetryAfter(long previous, long current, long cost, long limit, long window, long elapsed)
    {
        if (cost > limit)
        {
            // Never admissible: point at the moment both windows have drained, the best a client can do.
            return (2 * window) - elapsed;
        }

        // Still in this window: the previous count decays linearly, so solve
        // previous * (window - t) / window + current + cost <= limit for t.
        var headroom = (double)(limit - current - cost);
        if (headroom >= 0 && previous > 0)
        {
            var t = window - (headroom * window / previous);
            return MathUtil.CeilMicros(t - elapsed);
        }

        // In the next window the current count becomes the previous one and decays in turn.
        var untilNextWindow = window - elapsed;
        var headroomNext = (double)(limit - cost);
        if (current <= headroomNext)
        {
            return untilNextWindow;
        }

        var tNext = window - (headroomNext * window / current);
        return untilNextWindow + MathUtil.CeilMicros(tNext);
    }
}
