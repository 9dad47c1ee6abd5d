using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Algorithms;

/// <summary>
/// Gives permits back to a rule's state, where the algorithm allows it (the same rules as <c>release.lua</c>):
/// window counts only while the window they were taken in is still the current one; bucket tokens at any time, up
/// to the burst.
/// </summary>
public static class RuleRefund
{
    public static RuleState Apply(in RuleState state, RateLimitRule rule, long now, long permits)
    {
        if (!state.Initialized)
        {
            return state;
        }

        if (rule.Algorithm == RateLimitAlgorithm.TokenBucket)
        {
            var microsPerToken = (double)rule.WindowMicroseconds / rule.Limit;
            var elapsed = Math.Max(0, now - state.WindowStart);
            var tokens = Math.Min(rule.Burst, state.Tokens + (elapsed / microsPerToken) + permits);
            return state with { WindowStart = Math.Max(now, state.WindowStart), Tokens = tokens };
        }

        var at = MathUtil.NotBefore(now, state);
        var windowStart = at - MathUtil.Mod(at, rule.WindowMicroseconds);
        return windowStart == state.WindowStart ? state with { Count = Math.Max(0, state.Count - permits) } : state;
    }
}
