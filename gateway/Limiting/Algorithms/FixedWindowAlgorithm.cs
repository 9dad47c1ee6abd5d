using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Algorithms;

/// <summary>
/// One counter per window; windows are aligned to the Unix epoch, so every instance and store agrees on where
/// a window starts and a daily window is a UTC day. Exact within a window; a client can spend its limit at the
/// end of one window and again at the start of the next (up to 2x in a short span), which is why smooth
/// limits use <see cref="SlidingWindowAlgorithm"/>.
/// </summary>
public static class FixedWindowAlgorithm
{
    public static RuleEvaluation Evaluate(in RuleState state, RateLimitRule rule, long now, long cost)
    {
        // State written by a caller whose clock read was later than ours (a race at a window boundary, or a store
        // clock that stepped back) is never older than us: evaluate at its time, or its window would read as empty.
        now = MathUtil.NotBefore(now, state);
        var window = rule.WindowMicroseconds;
        var windowStart = now - MathUtil.Mod(now, window);
        var windowEnd = windowStart + window;
        var count = state.Initialized && state.WindowStart == windowStart ? state.Count : 0;
        var resetAfter = windowEnd - now;
        var allowed = count + cost <= rule.Limit;

        var next = new RuleState { Initialized = true, WindowStart = windowStart, Count = allowed ? count + cost : count };
        return new RuleEvaluation(
            allowed,
            Remaining: Math.Max(0, rule.Limit - count),
            ResetAfter: resetAfter,
            // A cost above the limit is never admissible; the window end is the honest "try later" then too.
            RetryAfter: allowed ? 0 : resetAfter,
            next,
            NextStateExpiresAt: windowEnd);
    }
}
