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
        // As in FixedWindowAlgorithm: never evaluate before the time the state was written at.
        now = MathUtil.NotBefore(now, state);
        var window = rule.WindowMicroseconds;
        var (windowStart, current, previous) = Counts(state, window, now);
        var elapsed = now - windowStart;

        var limit = (double)rule.Limit;
        var estimate = Estimate(previous, current, window, elapsed);
        var allowed = Admits(estimate, cost, rule.Limit);

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
            RetryAfter: allowed ? 0 : RetryAfter(state, now, previous, current, cost, rule.Limit, window, elapsed),
            next,
            // Once two windows pass, neither counter weighs anything any more.
            NextStateExpiresAt: windowStart + (2 * window));
    }

    /// <summary>The weighted count; the same expression, in the same order, as the Redis script uses.</summary>
    public static double Estimate(long previous, long current, long window, long elapsed) =>
        (previous * (double)(window - elapsed) / window) + current;

    /// <summary>The window <paramref name="now"/> falls in, and the current and previous counts the state holds for it.</summary>
    private static (long WindowStart, long Current, long Previous) Counts(in RuleState state, long window, long now)
    {
        var windowStart = now - MathUtil.Mod(now, window);
        if (state.Initialized)
        {
            if (state.WindowStart == windowStart)
            {
                return (windowStart, state.Count, state.PreviousCount);
            }

            if (state.WindowStart == windowStart - window)
            {
                return (windowStart, 0, state.Count);
            }
        }

        return (windowStart, 0, 0);
    }

    private static bool Admits(double estimate, long cost, long limit) => estimate + cost <= limit + MathUtil.Epsilon;

    private static bool AdmitsAt(in RuleState state, long at, long cost, long limit, long window)
    {
        var (windowStart, current, previous) = Counts(state, window, at);
        return Admits(Estimate(previous, current, window, at - windowStart), cost, limit);
    }

    private static long RetryAfter(in RuleState state, long now, long previous, long current, long cost, long limit, long window, long elapsed)
    {
        if (cost > limit)
        {
            // Never admissible: point at the moment both windows have drained, the best a client can do.
            return (2 * window) - elapsed;
        }

        // The closed form (tolerance included) lands on the first admitting microsecond or next to it; float rounding
        // can put it a microsecond off, so step onto the instant the admission test itself first passes (the
        // estimate only falls with time).
        var delay = Math.Max(1, ClosedFormRetryAfter(previous, current, cost, limit, window, elapsed));
        for (var step = 0; step < MathUtil.MaxRetryAfterSteps && delay > 1 && AdmitsAt(state, now + delay - 1, cost, limit, window); step++)
        {
            delay--;
        }

        for (var step = 0; step < MathUtil.MaxRetryAfterSteps && !AdmitsAt(state, now + delay, cost, limit, window); step++)
        {
            delay++;
        }

        return delay;
    }

    private static long ClosedFormRetryAfter(long previous, long current, long cost, long limit, long window, long elapsed)
    {
        // Still in this window: the previous count decays linearly, so solve
        // previous * (window - t) / window + current + cost <= limit (+ tolerance) for t.
        var headroom = (double)(limit - current - cost) + MathUtil.Epsilon;
        if (headroom >= 0 && previous > 0)
        {
            var t = window - (headroom * window / previous);
            return MathUtil.CeilMicros(t - elapsed);
        }

        // In the next window the current count becomes the previous one and decays in turn.
        var untilNextWindow = window - elapsed;
        var headroomNext = (double)(limit - cost) + MathUtil.Epsilon;
        if (current <= headroomNext)
        {
            return untilNextWindow;
        }

        var tNext = window - (headroomNext * window / current);
        return untilNextWindow + MathUtil.CeilMicros(tNext);
    }
}
